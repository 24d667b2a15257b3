using System.Data.Common;
using System.Text.Json;
using static Registry.Grains.Metadata.SqlSession;

namespace Registry.Grains.Metadata;

/// <summary>
/// <see cref="IIdentityStore"/> on either metadata database: the SQL is written once, in what SQLite
/// and PostgreSQL both accept, and <see cref="SqlSession"/> supplies the connections and the few
/// differences. Every multi-row change runs in one transaction of <see cref="SqlSession.WriteAsync{T}"/>.
/// </summary>
internal sealed class SqlIdentityStore(SqlSession session, TimeProvider clock) : IIdentityStore
{
    /// <summary>Who owns a project created by <see cref="UpsertProjectAsync"/>: the first user, the admin.</summary>
    public const long AdminUserId = 1;

    private static readonly JsonSerializerOptions PermissionJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    // ---- projects ----

    private const string ProjectColumns =
        "p.id, p.name, p.public, p.owner_id, coalesce(u.username, ''), p.storage_limit, p.created_at, p.updated_at";
    private const string ProjectFrom = "projects p LEFT JOIN users u ON u.id = p.owner_id";

    private static ProjectRecord ReadProject(DbDataReader r) =>
        new(r.Long(0), r.GetString(1), r.Bool(2), r.Long(3), r.GetString(4), r.Long(5), r.Time(6), r.Time(7));

    private static readonly ListSpec ProjectList = new(
        new Dictionary<string, ListSpec.FilterBuilder>
        {
            ["name"] = ListSpec.Text("p.name"),
            ["public"] = ListSpec.Exact("p.public", ListSpec.ParseBool),
            ["owner"] = ListSpec.Exact("u.username", v => v),
        },
        new Dictionary<string, string> { ["name"] = "p.name", ["creation_time"] = "p.created_at", ["update_time"] = "p.updated_at" },
        "p.created_at ASC, p.id ASC", "p.id");

    public Task<ProjectRecord?> GetProjectAsync(string name, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) => QuerySingleAsync(c, tx, $"SELECT {ProjectColumns} FROM {ProjectFrom} WHERE p.name = @n",
            ReadProject, cancellationToken, ("@n", name)), snapshot: false, cancellationToken);

    public Task<ProjectRecord?> GetProjectByIdAsync(long id, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) => ProjectByIdAsync(c, tx, id, cancellationToken), snapshot: false, cancellationToken);

    private static Task<ProjectRecord?> ProjectByIdAsync(DbConnection c, DbTransaction? tx, long id, CancellationToken cancellationToken) =>
        QuerySingleAsync(c, tx, $"SELECT {ProjectColumns} FROM {ProjectFrom} WHERE p.id = @id", ReadProject, cancellationToken, ("@id", id));

    public Task<ProjectRecord?> CreateProjectAsync(string name, bool isPublic, long ownerId, long storageLimit, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) =>
        {
            var id = await InsertProjectAsync(c, tx, name, isPublic, ownerId, storageLimit, cancellationToken);
            return id is null ? null : await ProjectByIdAsync(c, tx, id.Value, cancellationToken);
        }, cancellationToken);

    /// <summary>
    /// Creates the project owned by the admin, or sets the visibility of the one that exists
    /// (<see cref="IAccountStore.UpsertProjectAsync"/>).
    /// </summary>
    public Task UpsertProjectAsync(string name, bool isPublic, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) =>
        {
            const string update = "UPDATE projects SET public = @p, updated_at = @now WHERE name = @n";
            if (await ExecuteAsync(c, tx, update, cancellationToken, ("@p", isPublic), ("@now", Now), ("@n", name)) > 0) return 0;
            if (await InsertProjectAsync(c, tx, name, isPublic, AdminUserId, -1, cancellationToken) is not null) return 0;
            // Another node created it in between (PostgreSQL): it exists now.
            return await ExecuteAsync(c, tx, update, cancellationToken, ("@p", isPublic), ("@now", Now), ("@n", name));
        }, cancellationToken);

    /// <summary>The project and its owner's Project Admin membership; the new id, or null when the name is taken.</summary>
    private async Task<long?> InsertProjectAsync(DbConnection c, DbTransaction tx, string name, bool isPublic, long ownerId, long storageLimit, CancellationToken cancellationToken)
    {
        // An id drawn for a name that turns out to be taken is simply never used: ids are not reused.
        var id = Convert.ToInt64(await ScalarAsync(c, tx, session.NextProjectIdSql, cancellationToken));
        var now = Now;
        var inserted = await ExecuteAsync(c, tx, """
            INSERT INTO projects (id, name, public, owner_id, storage_limit, created_at, updated_at)
            VALUES (@id, @n, @p, @o, @l, @now, @now) ON CONFLICT DO NOTHING
            """, cancellationToken, ("@id", id), ("@n", name), ("@p", isPublic), ("@o", ownerId), ("@l", storageLimit), ("@now", now));
        if (inserted == 0) return null;
        await ExecuteAsync(c, tx, """
            INSERT INTO project_members (project_id, user_id, role_id, created_at, updated_at) VALUES (@id, @u, @r, @now, @now)
            ON CONFLICT DO NOTHING
            """, cancellationToken, ("@id", id), ("@u", ownerId), ("@r", ProjectRoles.ProjectAdmin), ("@now", now));
        return id;
    }

    public Task<bool> UpdateProjectAsync(long id, bool? isPublic, long? storageLimit, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) =>
        {
            var sets = new List<string> { "updated_at = @now" };
            var parameters = new List<(string, object?)> { ("@id", id), ("@now", Now) };
            if (isPublic is { } p)
            {
                sets.Add("public = @p");
                parameters.Add(("@p", p));
            }
            if (storageLimit is { } l)
            {
                sets.Add("storage_limit = @l");
                parameters.Add(("@l", l));
            }
            if (sets.Count == 1) return await ScalarAsync(c, tx, "SELECT 1 FROM projects WHERE id = @id", cancellationToken, ("@id", id)) is not null;
            return await ExecuteAsync(c, tx, $"UPDATE projects SET {string.Join(", ", sets)} WHERE id = @id", cancellationToken, [.. parameters]) > 0;
        }, cancellationToken);

    /// <summary>What a deleted project's labels, immutability, retention and webhook policies leave behind, in dependency order.</summary>
    private static readonly string[] ProjectPolicyTables =
    [
        "DELETE FROM artifact_labels WHERE label_id IN (SELECT id FROM labels WHERE scope = 'p' AND project_id = @id)",
        "DELETE FROM labels WHERE scope = 'p' AND project_id = @id",
        "DELETE FROM immutable_rules WHERE project_id = @id",
        "DELETE FROM retention_tasks WHERE execution_id IN (SELECT e.id FROM retention_executions e JOIN retention_policies p ON p.id = e.policy_id WHERE p.project_id = @id)",
        "DELETE FROM retention_executions WHERE policy_id IN (SELECT id FROM retention_policies WHERE project_id = @id)",
        "DELETE FROM retention_policies WHERE project_id = @id",
        "DELETE FROM webhook_jobs WHERE project_id = @id",
        "DELETE FROM webhook_policies WHERE project_id = @id",
    ];

    public Task<DeleteProjectResult> DeleteProjectAsync(long id, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) =>
        {
            if (await ScalarAsync(c, tx, "SELECT name FROM projects WHERE id = @id", cancellationToken, ("@id", id)) is not string name)
                return DeleteProjectResult.NotFound;
            if (await ScalarAsync(c, tx, "SELECT 1 FROM repositories WHERE project = @n LIMIT 1", cancellationToken, ("@n", name)) is not null)
                return DeleteProjectResult.NotEmpty;
            await ExecuteAsync(c, tx, "DELETE FROM project_members WHERE project_id = @id", cancellationToken, ("@id", id));
            await ExecuteAsync(c, tx, "DELETE FROM robots WHERE project_id = @id", cancellationToken, ("@id", id));
            // The project's policies go with it: a project created later under the same name starts clean.
            foreach (var sql in ProjectPolicyTables)
                await ExecuteAsync(c, tx, sql, cancellationToken, ("@id", id));
            await ExecuteAsync(c, tx, "DELETE FROM projects WHERE id = @id", cancellationToken, ("@id", id));
            return DeleteProjectResult.Deleted;
        }, cancellationToken);

    public Task<Page<ProjectRecord>> ListProjectsAsync(ListQuery query, long? visibleToUserId, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) =>
        {
            var sql = new SqlConditions();
            if (visibleToUserId is { } user)
            {
                sql.Where($"p.public = {sql.Parameter(true)} OR EXISTS (SELECT 1 FROM project_members pm WHERE pm.project_id = p.id AND pm.user_id = {sql.Parameter(user)})");
            }
            return ProjectList.PageAsync(c, tx, session, query, ProjectColumns, ProjectFrom, sql, ReadProject, cancellationToken);
        }, snapshot: true, cancellationToken);

    // ---- members ----

    private const string MemberColumns = "pm.id, pm.project_id, pm.user_id, u.username, pm.role_id, pm.created_at, pm.updated_at";
    private const string MemberFrom = "project_members pm JOIN users u ON u.id = pm.user_id";

    private static MemberRecord ReadMember(DbDataReader r) =>
        new(r.Long(0), r.Long(1), r.Long(2), r.GetString(3), r.Int(4), r.Time(5), r.Time(6));

    private static readonly ListSpec MemberList = new(
        new Dictionary<string, ListSpec.FilterBuilder> { ["entityname"] = ListSpec.Text("u.username") },
        new Dictionary<string, string> { ["entityname"] = "u.username", ["role_id"] = "pm.role_id" },
        "pm.id ASC", "pm.id");

    public Task<Page<MemberRecord>> ListMembersAsync(long projectId, ListQuery query, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) =>
        {
            var sql = new SqlConditions();
            sql.Where($"pm.project_id = {sql.Parameter(projectId)}");
            return MemberList.PageAsync(c, tx, session, query, MemberColumns, MemberFrom, sql, ReadMember, cancellationToken);
        }, snapshot: true, cancellationToken);

    public Task<MemberRecord?> GetMemberAsync(long projectId, long memberId, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) => MemberAsync(c, tx, projectId, memberId, cancellationToken), snapshot: false, cancellationToken);

    private static Task<MemberRecord?> MemberAsync(DbConnection c, DbTransaction? tx, long projectId, long memberId, CancellationToken cancellationToken) =>
        QuerySingleAsync(c, tx, $"SELECT {MemberColumns} FROM {MemberFrom} WHERE pm.project_id = @p AND pm.id = @m",
            ReadMember, cancellationToken, ("@p", projectId), ("@m", memberId));

    /// <summary>Null too when there is no such project or user.</summary>
    public Task<MemberRecord?> AddMemberAsync(long projectId, long userId, int roleId, CancellationToken cancellationToken = default)
    {
        CheckRole(roleId);
        return session.WriteAsync(async (c, tx) =>
        {
            if (await ScalarAsync(c, tx, "SELECT 1 FROM projects WHERE id = @p", cancellationToken, ("@p", projectId)) is null) return null;
            if (await ScalarAsync(c, tx, "SELECT 1 FROM users WHERE id = @u", cancellationToken, ("@u", userId)) is null) return null;
            var now = Now;
            var id = await ScalarAsync(c, tx, """
                INSERT INTO project_members (project_id, user_id, role_id, created_at, updated_at) VALUES (@p, @u, @r, @now, @now)
                ON CONFLICT DO NOTHING RETURNING id
                """, cancellationToken, ("@p", projectId), ("@u", userId), ("@r", roleId), ("@now", now));
            return id is null ? null : await MemberAsync(c, tx, projectId, Convert.ToInt64(id), cancellationToken);
        }, cancellationToken);
    }

    public Task<bool> UpdateMemberRoleAsync(long projectId, long memberId, int roleId, CancellationToken cancellationToken = default)
    {
        CheckRole(roleId);
        return session.WriteAsync(async (c, tx) => await ExecuteAsync(c, tx,
            "UPDATE project_members SET role_id = @r, updated_at = @now WHERE project_id = @p AND id = @m", cancellationToken,
            ("@r", roleId), ("@now", Now), ("@p", projectId), ("@m", memberId)) > 0, cancellationToken);
    }

    public Task<bool> RemoveMemberAsync(long projectId, long memberId, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) => await ExecuteAsync(c, tx,
            "DELETE FROM project_members WHERE project_id = @p AND id = @m", cancellationToken, ("@p", projectId), ("@m", memberId)) > 0,
            cancellationToken);

    public Task<int?> GetRoleAsync(long projectId, long userId, CancellationToken cancellationToken = default) =>
        session.ReadAsync(async (c, tx) =>
        {
            var role = await ScalarAsync(c, tx, "SELECT role_id FROM project_members WHERE project_id = @p AND user_id = @u",
                cancellationToken, ("@p", projectId), ("@u", userId));
            return role is null ? (int?)null : Convert.ToInt32(role);
        }, snapshot: false, cancellationToken);

    public Task<IReadOnlyDictionary<long, int>> GetRolesAsync(long userId, CancellationToken cancellationToken = default) =>
        session.ReadAsync<IReadOnlyDictionary<long, int>>(async (c, tx) =>
            (await QueryAsync(c, tx, "SELECT project_id, role_id FROM project_members WHERE user_id = @u",
                r => (Project: r.Long(0), Role: r.Int(1)), cancellationToken, ("@u", userId)))
            .ToDictionary(x => x.Project, x => x.Role), snapshot: false, cancellationToken);

    public Task<IReadOnlyDictionary<int, int>> CountMembersByRoleAsync(long projectId, CancellationToken cancellationToken = default) =>
        session.ReadAsync<IReadOnlyDictionary<int, int>>(async (c, tx) =>
            (await QueryAsync(c, tx, $"SELECT pm.role_id, count(*) FROM {MemberFrom} WHERE pm.project_id = @p GROUP BY pm.role_id",
                r => (Role: r.Int(0), Count: r.Int(1)), cancellationToken, ("@p", projectId)))
            .ToDictionary(x => x.Role, x => x.Count), snapshot: false, cancellationToken);

    private static void CheckRole(int roleId)
    {
        if (!ProjectRoles.IsValid(roleId)) throw new ArgumentOutOfRangeException(nameof(roleId), roleId, "not a project role");
    }

    // ---- users ----

    private const string UserColumns = "id, username, password_hash, sysadmin, email, realname, comment, source, created_at, updated_at";

    private static UserRecord ReadUser(DbDataReader r) =>
        new(r.Long(0), r.GetString(1), r.GetString(2), r.Bool(3), r.GetString(4), r.GetString(5), r.GetString(6), r.GetString(7), r.Time(8), r.Time(9));

    private static readonly ListSpec UserList = new(
        new Dictionary<string, ListSpec.FilterBuilder> { ["username"] = ListSpec.Text("username"), ["email"] = ListSpec.Text("email") },
        new Dictionary<string, string> { ["username"] = "username", ["email"] = "email", ["creation_time"] = "created_at", ["update_time"] = "updated_at" },
        "id ASC", "id");

    /// <summary>By the exact name (names are unique regardless of case, so at most one user differs from it only in case).</summary>
    public Task<UserRecord?> GetUserAsync(string username, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) => QuerySingleAsync(c, tx, $"SELECT {UserColumns} FROM users WHERE username = @u", ReadUser, cancellationToken, ("@u", username)),
            snapshot: false, cancellationToken);

    public Task<UserRecord?> GetUserByIdAsync(long id, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) => UserByIdAsync(c, tx, id, cancellationToken), snapshot: false, cancellationToken);

    private static Task<UserRecord?> UserByIdAsync(DbConnection c, DbTransaction? tx, long id, CancellationToken cancellationToken) =>
        QuerySingleAsync(c, tx, $"SELECT {UserColumns} FROM users WHERE id = @id", ReadUser, cancellationToken, ("@id", id));

    /// <summary>The unique indexes on <c>lower(username)</c> and on <c>lower(email)</c> (non-empty) turn a taken name or email into no row.</summary>
    public Task<UserRecord?> CreateUserAsync(NewUser user, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) =>
        {
            var id = await ScalarAsync(c, tx, """
                INSERT INTO users (username, password_hash, sysadmin, email, realname, comment, source, created_at, updated_at)
                VALUES (@u, @h, @a, @e, @r, @c, @s, @now, @now) ON CONFLICT DO NOTHING RETURNING id
                """, cancellationToken, ("@u", user.Username), ("@h", user.PasswordHash), ("@a", user.SysAdmin), ("@e", user.Email),
                ("@r", user.Realname), ("@c", user.Comment), ("@s", user.Source), ("@now", Now));
            return id is null ? null : await UserByIdAsync(c, tx, Convert.ToInt64(id), cancellationToken);
        }, cancellationToken);

    public async Task<bool> UpdateUserProfileAsync(long id, string email, string realname, string comment, CancellationToken cancellationToken = default)
    {
        try
        {
            return await session.WriteAsync(async (c, tx) =>
            {
                if (email.Length > 0 && await ScalarAsync(c, tx, "SELECT 1 FROM users WHERE lower(email) = lower(@e) AND email <> '' AND id <> @id",
                        cancellationToken, ("@e", email), ("@id", id)) is not null)
                    return false;
                return await ExecuteAsync(c, tx, "UPDATE users SET email = @e, realname = @r, comment = @c, updated_at = @now WHERE id = @id",
                    cancellationToken, ("@e", email), ("@r", realname), ("@c", comment), ("@now", Now), ("@id", id)) > 0;
            }, cancellationToken);
        }
        catch (DbException e) when (session.IsUniqueViolation(e))
        {
            // Another node gave the email to another user between the check and the update.
            return false;
        }
    }

    public Task<bool> SetPasswordAsync(long id, string passwordHash, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) => await ExecuteAsync(c, tx, "UPDATE users SET password_hash = @h, updated_at = @now WHERE id = @id",
            cancellationToken, ("@h", passwordHash), ("@now", Now), ("@id", id)) > 0, cancellationToken);

    public Task<bool> SetSysAdminAsync(long id, bool sysAdmin, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) => await ExecuteAsync(c, tx, "UPDATE users SET sysadmin = @a, updated_at = @now WHERE id = @id",
            cancellationToken, ("@a", sysAdmin), ("@now", Now), ("@id", id)) > 0, cancellationToken);

    /// <summary>Projects the user owned keep the owner id (their owner name reads empty).</summary>
    public Task<bool> DeleteUserAsync(long id, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) =>
        {
            await ExecuteAsync(c, tx, "DELETE FROM project_members WHERE user_id = @id", cancellationToken, ("@id", id));
            return await ExecuteAsync(c, tx, "DELETE FROM users WHERE id = @id", cancellationToken, ("@id", id)) > 0;
        }, cancellationToken);

    public Task<Page<UserRecord>> ListUsersAsync(ListQuery query, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) => UserList.PageAsync(c, tx, session, query, UserColumns, "users", new SqlConditions(), ReadUser, cancellationToken),
            snapshot: true, cancellationToken);

    // ---- robots ----

    private const string RobotColumns =
        "id, name, description, level, project_id, secret_hash, duration, expires_at, disabled, permissions, creator, created_at, updated_at, creator_type";

    private static RobotRecord ReadRobot(DbDataReader r) =>
        new(r.Long(0), r.GetString(1), r.GetString(2), r.GetString(3), r.NullableLong(4), r.GetString(5), r.Int(6), r.Long(7), r.Bool(8),
            JsonSerializer.Deserialize<List<RobotPermission>>(r.GetString(9), PermissionJson) ?? [], r.GetString(10), r.Time(11), r.Time(12), r.GetString(13));

    private static string PermissionsJson(RobotRecord robot) => JsonSerializer.Serialize(robot.Permissions, PermissionJson);

    private static readonly ListSpec RobotList = new(
        new Dictionary<string, ListSpec.FilterBuilder>
        {
            ["name"] = ListSpec.Text("name"),
            ["level"] = ListSpec.Exact("level", v => v),
            ["project_id"] = ListSpec.Exact("project_id", ListSpec.ParseLong),
        },
        new Dictionary<string, string> { ["name"] = "name", ["creation_time"] = "created_at" },
        "id ASC", "id");

    /// <summary>The stored record carries the new id and the store's clock as creation and update time.</summary>
    public Task<RobotRecord?> CreateRobotAsync(RobotRecord robot, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) =>
        {
            var now = Now;
            var id = await ScalarAsync(c, tx, """
                INSERT INTO robots (name, description, level, project_id, secret_hash, duration, expires_at, disabled, permissions, creator, created_at, updated_at, creator_type)
                VALUES (@n, @d, @l, @p, @s, @dur, @exp, @dis, @perm, @cr, @now, @now, @ct) ON CONFLICT DO NOTHING RETURNING id
                """, cancellationToken, ("@n", robot.Name), ("@d", robot.Description), ("@l", robot.Level), ("@p", robot.ProjectId),
                ("@s", robot.SecretHash), ("@dur", robot.Duration), ("@exp", robot.ExpiresAt), ("@dis", robot.Disabled),
                ("@perm", PermissionsJson(robot)), ("@cr", robot.Creator), ("@now", now), ("@ct", robot.CreatorType));
            return id is null ? null : robot with { Id = Convert.ToInt64(id), CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(now), UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(now) };
        }, cancellationToken);

    public Task<RobotRecord?> GetRobotAsync(long id, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) => QuerySingleAsync(c, tx, $"SELECT {RobotColumns} FROM robots WHERE id = @id", ReadRobot, cancellationToken, ("@id", id)),
            snapshot: false, cancellationToken);

    public Task<RobotRecord?> GetRobotByNameAsync(string name, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) => QuerySingleAsync(c, tx, $"SELECT {RobotColumns} FROM robots WHERE name = @n", ReadRobot, cancellationToken, ("@n", name)),
            snapshot: false, cancellationToken);

    public Task<bool> UpdateRobotAsync(RobotRecord robot, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) => await ExecuteAsync(c, tx, """
            UPDATE robots SET description = @d, duration = @dur, expires_at = @exp, disabled = @dis, permissions = @perm, updated_at = @now
            WHERE id = @id
            """, cancellationToken, ("@d", robot.Description), ("@dur", robot.Duration), ("@exp", robot.ExpiresAt), ("@dis", robot.Disabled),
            ("@perm", PermissionsJson(robot)), ("@now", Now), ("@id", robot.Id)) > 0, cancellationToken);

    public Task<bool> SetRobotSecretAsync(long id, string secretHash, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) => await ExecuteAsync(c, tx, "UPDATE robots SET secret_hash = @s, updated_at = @now WHERE id = @id",
            cancellationToken, ("@s", secretHash), ("@now", Now), ("@id", id)) > 0, cancellationToken);

    public Task<bool> DeleteRobotAsync(long id, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) => await ExecuteAsync(c, tx, "DELETE FROM robots WHERE id = @id", cancellationToken, ("@id", id)) > 0,
            cancellationToken);

    public Task<Page<RobotRecord>> ListRobotsAsync(ListQuery query, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) => RobotList.PageAsync(c, tx, session, query, RobotColumns, "robots", new SqlConditions(), ReadRobot, cancellationToken),
            snapshot: true, cancellationToken);

    // ---- audit log ----

    private const string AuditColumns = "id, project_id, username, resource, resource_type, operation, result, op_time";

    private static AuditRecord ReadAudit(DbDataReader r) =>
        new(r.Long(0), r.NullableLong(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6), r.Time(7));

    private static readonly ListSpec AuditList = new(
        new Dictionary<string, ListSpec.FilterBuilder>
        {
            ["username"] = ListSpec.Text("username"),
            ["resource"] = ListSpec.Text("resource"),
            ["resource_type"] = ListSpec.Text("resource_type"),
            ["operation"] = ListSpec.Text("operation"),
            ["op_time"] = ListSpec.Time("op_time"),
        },
        new Dictionary<string, string> { ["op_time"] = "op_time" },
        "op_time DESC, id DESC", "id");

    /// <summary>Stores the entry as given (its <c>Id</c> is ignored), at its own <c>OpTime</c>.</summary>
    public Task AppendAuditAsync(AuditRecord entry, CancellationToken cancellationToken = default) =>
        session.WriteAsync((c, tx) => ExecuteAsync(c, tx, """
            INSERT INTO audit_logs (project_id, username, resource, resource_type, operation, result, op_time)
            VALUES (@p, @u, @r, @rt, @o, @res, @t)
            """, cancellationToken, ("@p", entry.ProjectId), ("@u", entry.Username), ("@r", entry.Resource), ("@rt", entry.ResourceType),
            ("@o", entry.Operation), ("@res", entry.Result), ("@t", entry.OpTime.ToUnixTimeMilliseconds())), cancellationToken);

    public Task<Page<AuditRecord>> ListAuditAsync(ListQuery query, long? projectId, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) =>
        {
            var sql = new SqlConditions();
            if (projectId is { } p) sql.Where($"project_id = {sql.Parameter(p)}");
            return AuditList.PageAsync(c, tx, session, query, AuditColumns, "audit_logs", sql, ReadAudit, cancellationToken);
        }, snapshot: true, cancellationToken);

    public Task<long> PurgeAuditAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) => (long)await ExecuteAsync(c, tx, "DELETE FROM audit_logs WHERE op_time < @t",
            cancellationToken, ("@t", cutoff.ToUnixTimeMilliseconds())), cancellationToken);

    // ---- system settings ----

    public Task<IReadOnlyDictionary<string, string>> GetSettingsAsync(CancellationToken cancellationToken = default) =>
        session.ReadAsync<IReadOnlyDictionary<string, string>>(async (c, tx) =>
            (await QueryAsync(c, tx, "SELECT name, value FROM settings", r => (Name: r.GetString(0), Value: r.GetString(1)), cancellationToken))
            .ToDictionary(x => x.Name, x => x.Value, StringComparer.Ordinal), snapshot: false, cancellationToken);

    public Task SetSettingsAsync(IReadOnlyDictionary<string, string> values, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) =>
        {
            foreach (var (name, value) in values)
            {
                await ExecuteAsync(c, tx, "INSERT INTO settings (name, value) VALUES (@n, @v) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    cancellationToken, ("@n", name), ("@v", value));
            }
            return 0;
        }, cancellationToken);
}
