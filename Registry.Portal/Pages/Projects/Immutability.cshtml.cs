using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Registry.Portal.Api;
using Registry.Portal.Api.Models;

namespace Registry.Portal.Pages.Projects;

/// <summary>
/// <c>/projects/{name}/immutability</c>: the project's immutable tag rules. Tags a rule selects can
/// be pushed once and are never moved or deleted; rules can be added, enabled or disabled, and
/// deleted by maintainers and project admins.
/// </summary>
public sealed class ImmutabilityModel(RegistryApi api) : ProjectPage(api)
{
    public const string AddErrors = "Add";

    public override ProjectTab Tab => ProjectTab.Immutability;

    [BindProperty]
    public NewRuleForm NewRule { get; set; } = new();

    public IReadOnlyList<ImmutableRule> Rules { get; private set; } = [];

    public bool CanCreate => Permissions.Can("immutable-tag", "create");

    public bool CanUpdate => Permissions.Can("immutable-tag", "update");

    public bool CanDelete => Permissions.Can("immutable-tag", "delete");

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await LoadProjectAsync(cancellationToken) ?? (CanSeeTab(Tab) ? await ListAsync(cancellationToken) : TabNotAllowed());

    public async Task<IActionResult> OnPostAddAsync(CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        if (!ModelState.IsValid)
        {
            MoveErrorsTo(AddErrors);
            return await ListAsync(cancellationToken);
        }
        var rule = ImmutableRule.Create(false, NewRule.RepositoryDecoration, NewRule.RepositoryPattern.Trim(), NewRule.TagDecoration, NewRule.TagPattern.Trim());
        var created = await Api.PostAsync($"/projects/{ProjectRef}/immutabletagrules", rule, cancellationToken);
        if (created.Ok) return Done("Immutability rule added.");
        return Failed(created, AddErrors) ?? await ListAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostToggleAsync(long ruleId, CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        ModelState.Clear();
        var rules = await Api.GetAsync<List<ImmutableRule>>($"/projects/{ProjectRef}/immutabletagrules?page_size=100", cancellationToken);
        if (rules.Value?.FirstOrDefault(r => r.Id == ruleId) is not { } rule) return Failed(rules) ?? await ListAsync(cancellationToken);
        var updated = await Api.PutAsync($"/projects/{ProjectRef}/immutabletagrules/{ruleId}", rule with { Disabled = !rule.Disabled }, cancellationToken);
        if (updated.Ok) return Done(rule.Disabled ? "Rule enabled." : "Rule disabled.");
        return Failed(updated) ?? await ListAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostDeleteAsync(long ruleId, CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        ModelState.Clear();
        var deleted = await Api.DeleteAsync($"/projects/{ProjectRef}/immutabletagrules/{ruleId}", cancellationToken);
        if (deleted.Ok) return Done("Rule deleted.");
        return Failed(deleted) ?? await ListAsync(cancellationToken);
    }

    private IActionResult Done(string message)
    {
        Flash = message;
        return RedirectToPage(new { name = Project.Name });
    }

    private async Task<IActionResult> ListAsync(CancellationToken cancellationToken)
    {
        var list = await Api.GetAsync<List<ImmutableRule>>($"/projects/{ProjectRef}/immutabletagrules?page_size=100", cancellationToken);
        if (!list.Ok && Failed(list) is { } signIn) return signIn;
        Rules = list.Value ?? [];
        return Page();
    }

    public sealed class NewRuleForm
    {
        [Display(Name = "Repositories")]
        public string RepositoryDecoration { get; set; } = "repoMatches";

        [Required(ErrorMessage = "Enter a repository pattern, e.g. ** for all."), StringLength(512)]
        [Display(Name = "Repository pattern")]
        public string RepositoryPattern { get; set; } = "**";

        [Display(Name = "Tags")]
        public string TagDecoration { get; set; } = "matches";

        [Required(ErrorMessage = "Enter a tag pattern, e.g. v*."), StringLength(512)]
        [Display(Name = "Tag pattern")]
        public string TagPattern { get; set; } = "";
    }
}
