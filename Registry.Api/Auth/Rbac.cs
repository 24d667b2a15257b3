using System.Collections.Frozen;
using Registry.Grains.Metadata;

namespace Registry.Api.Auth;

/// <summary>Harbor's RBAC resources and actions (the subset this registry has).</summary>
public static class Rbac
{
    public static class Resources
    {
        public const string Project = "project";
        public const string Metadata = "metadata";
        public const string Member = "member";
        public const string Log = "log";
        public const string Quota = "quota";
        public const string Repository = "repository";
        public const string Artifact = "artifact";
        public const string Tag = "tag";
        public const string ArtifactLabel = "artifact-label";
        public const string Label = "label";
        public const string Robot = "robot";
        public const string ImmutableTag = "immutable-tag";
        public const string TagRetention = "tag-retention";
        public const string Webhook = "notification-policy";
        public const string Scan = "scan";
        public const string Accessory = "accessory";
    }

    public static class Verbs
    {
        public const string Create = "create";
        public const string Read = "read";
        public const string Update = "update";
        public const string Delete = "delete";
        public const string List = "list";
        public const string Pull = "pull";
        public const string Push = "push";
    }

    /// <summary>One permission: an action on a resource kind.</summary>
    public readonly record struct Permission(string Resource, string Action)
    {
        public override string ToString() => $"{Resource}:{Action}";
    }

    private static Permission[] All(string resource, params string[] actions) => [.. actions.Select(a => new Permission(resource, a))];

    private static readonly string[] Crudl = [Verbs.Create, Verbs.Read, Verbs.Update, Verbs.Delete, Verbs.List];

    private static readonly Permission[] LimitedGuestPermissions =
    [
        new(Resources.Project, Verbs.Read),
        new(Resources.Quota, Verbs.Read),
        .. All(Resources.Repository, Verbs.List, Verbs.Read, Verbs.Pull),
        .. All(Resources.Artifact, Verbs.Read, Verbs.List),
        new(Resources.Tag, Verbs.List),
        .. All(Resources.Accessory, Verbs.List),
    ];

    private static readonly Permission[] GuestPermissions =
    [
        .. LimitedGuestPermissions,
        .. All(Resources.Member, Verbs.Read, Verbs.List),
        .. All(Resources.Metadata, Verbs.Read, Verbs.List),
        new(Resources.Log, Verbs.List),
        .. All(Resources.Label, Verbs.Read, Verbs.List),
    ];

    private static readonly Permission[] DeveloperPermissions =
    [
        .. GuestPermissions,
        .. All(Resources.Repository, Verbs.Push, Verbs.Update),
        new(Resources.Artifact, Verbs.Create),
        new(Resources.Tag, Verbs.Create),
        .. All(Resources.ArtifactLabel, Verbs.Create, Verbs.Delete),
        .. All(Resources.Robot, Verbs.Read, Verbs.List),
        .. All(Resources.Scan, Verbs.Create, Verbs.Read),
    ];

    private static readonly Permission[] MaintainerPermissions =
    [
        .. DeveloperPermissions,
        new(Resources.Repository, Verbs.Delete),
        new(Resources.Artifact, Verbs.Delete),
        new(Resources.Tag, Verbs.Delete),
        .. All(Resources.ImmutableTag, Crudl),
        .. All(Resources.TagRetention, [.. Crudl, "operate"]),
        .. All(Resources.Label, Verbs.Create, Verbs.Update, Verbs.Delete),
        .. All(Resources.Webhook, Verbs.Read, Verbs.List),
        new(Resources.Scan, Verbs.Delete),
    ];

    private static readonly Permission[] ProjectAdminPermissions =
    [
        .. MaintainerPermissions,
        .. All(Resources.Project, Verbs.Update, Verbs.Delete),
        .. All(Resources.Metadata, Verbs.Create, Verbs.Update, Verbs.Delete),
        .. All(Resources.Member, Verbs.Create, Verbs.Update, Verbs.Delete),
        .. All(Resources.Robot, Verbs.Create, Verbs.Update, Verbs.Delete),
        .. All(Resources.Webhook, Verbs.Create, Verbs.Update, Verbs.Delete),
    ];

    private static readonly FrozenDictionary<int, FrozenSet<Permission>> ByRole = new Dictionary<int, FrozenSet<Permission>>
    {
        [ProjectRoles.ProjectAdmin] = ProjectAdminPermissions.ToFrozenSet(),
        [ProjectRoles.Maintainer] = MaintainerPermissions.ToFrozenSet(),
        [ProjectRoles.Developer] = DeveloperPermissions.ToFrozenSet(),
        [ProjectRoles.Guest] = GuestPermissions.ToFrozenSet(),
        [ProjectRoles.LimitedGuest] = LimitedGuestPermissions.ToFrozenSet(),
    }.ToFrozenDictionary();

    /// <summary>What anyone (signed in or not) may do in a public project.</summary>
    private static readonly FrozenSet<Permission> PublicPermissions = LimitedGuestPermissions.ToFrozenSet();

    /// <summary>Every permission a project can grant (what a project robot may be given by a project admin).</summary>
    public static IReadOnlySet<Permission> ProjectScope => ByRole[ProjectRoles.ProjectAdmin];

    /// <summary>Permissions of a role in a project (empty for an unknown role).</summary>
    public static IReadOnlySet<Permission> OfRole(int? role) =>
        role is { } r && ByRole.TryGetValue(r, out var set) ? set : FrozenSet<Permission>.Empty;

    public static IReadOnlySet<Permission> OfPublicProject => PublicPermissions;

    /// <summary>The distribution API's actions a set of project permissions allows.</summary>
    public static IEnumerable<string> OciActions(IReadOnlySet<Permission> permissions)
    {
        if (permissions.Contains(new(Resources.Repository, Verbs.Pull))) yield return Actions.Pull;
        if (permissions.Contains(new(Resources.Repository, Verbs.Push))) yield return Actions.Push;
        if (permissions.Contains(new(Resources.Artifact, Verbs.Delete)) || permissions.Contains(new(Resources.Repository, Verbs.Delete)))
            yield return Actions.Delete;
    }
}
