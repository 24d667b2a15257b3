using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Registry.Portal.Api;
using Registry.Portal.Api.Models;

namespace Registry.Portal.Pages.Projects;

/// <summary>
/// <c>/projects/{name}/webhooks</c>: the project's webhook policies (add, edit, enable or disable,
/// delete, for project admins) and, for the policy picked, its deliveries with their status and the
/// target's response code.
/// </summary>
public sealed class WebhooksModel(RegistryApi api) : ProjectPage(api)
{
    public const string FormErrors = "Form";

    public override ProjectTab Tab => ProjectTab.Webhooks;

    /// <summary>The policy whose deliveries are shown.</summary>
    [FromQuery(Name = "policy")]
    public long? PolicyId { get; set; }

    /// <summary>The policy being edited (its values fill the form).</summary>
    [FromQuery(Name = "edit")]
    public long? EditId { get; set; }

    [BindProperty]
    public WebhookForm Form { get; set; } = new();

    public IReadOnlyList<WebhookPolicy> Policies { get; private set; } = [];

    public WebhookPolicy? Selected { get; private set; }

    public IReadOnlyList<WebhookExecution> Executions { get; private set; } = [];

    public bool CanCreate => Permissions.Can("notification-policy", "create");

    public bool CanUpdate => Permissions.Can("notification-policy", "update");

    public bool CanDelete => Permissions.Can("notification-policy", "delete");

    public bool Editing => Form.Id is not null;

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        if (!CanSeeTab(Tab)) return TabNotAllowed();
        if (EditId is { } edit && CanUpdate)
        {
            var policy = await Api.GetAsync<WebhookPolicy>($"/projects/{ProjectRef}/webhook/policies/{edit}", cancellationToken);
            if (policy is { Ok: true, Value: { } p })
            {
                var target = p.Targets.FirstOrDefault();
                Form = new WebhookForm
                {
                    Id = p.Id, Name = p.Name, Description = p.Description, Address = target?.Address ?? "", NotifyType = target?.Type ?? "http",
                    PayloadFormat = target?.PayloadFormat ?? "Default", AuthHeader = target?.AuthHeader, SkipCertVerify = target?.SkipCertVerify ?? false,
                    EventTypes = p.EventTypes, Enabled = p.Enabled,
                };
            }
            else if (Failed(policy) is { } signIn) return signIn;
        }
        return await ListAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostSaveAsync(CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        if (Form.EventTypes.Count == 0) ModelState.AddModelError(FormErrors, "Choose at least one event.");
        if (!ModelState.IsValid)
        {
            MoveErrorsTo(FormErrors);
            return await ListAsync(cancellationToken);
        }
        var body = new WebhookPolicySave(Form.Name.Trim(), Form.Description,
            [new WebhookTarget(Form.NotifyType, Form.Address.Trim(), string.IsNullOrWhiteSpace(Form.AuthHeader) ? null : Form.AuthHeader, Form.SkipCertVerify,
                Form.NotifyType == "slack" ? "Default" : Form.PayloadFormat)],
            Form.EventTypes, Form.Enabled);
        var saved = Form.Id is { } id
            ? await Api.PutAsync($"/projects/{ProjectRef}/webhook/policies/{id}", body, cancellationToken)
            : await Api.PostAsync($"/projects/{ProjectRef}/webhook/policies", body, cancellationToken);
        if (saved.Ok)
        {
            Flash = $"Webhook {body.Name} {(Form.Id is null ? "added" : "saved")}.";
            return RedirectToPage(new { name = Project.Name });
        }
        return Failed(saved, FormErrors) ?? await ListAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostToggleAsync(long policyId, bool enable, CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        ModelState.Clear();
        var loaded = await Api.GetAsync<WebhookPolicy>($"/projects/{ProjectRef}/webhook/policies/{policyId}", cancellationToken);
        if (loaded is not { Ok: true, Value: { } policy }) return Failed(loaded) ?? await ListAsync(cancellationToken);
        var changed = await Api.PutAsync($"/projects/{ProjectRef}/webhook/policies/{policy.Id}",
            new WebhookPolicySave(policy.Name, policy.Description, policy.Targets, policy.EventTypes, enable), cancellationToken);
        if (!changed.Ok) return Failed(changed) ?? await ListAsync(cancellationToken);
        Flash = $"Webhook {policy.Name} {(enable ? "enabled" : "disabled")}.";
        return RedirectToPage(new { name = Project.Name });
    }

    public async Task<IActionResult> OnPostDeleteAsync(long policyId, CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        ModelState.Clear();
        var deleted = await Api.DeleteAsync($"/projects/{ProjectRef}/webhook/policies/{policyId}", cancellationToken);
        if (!deleted.Ok) return Failed(deleted) ?? await ListAsync(cancellationToken);
        Flash = "Webhook deleted.";
        return RedirectToPage(new { name = Project.Name });
    }

    private async Task<IActionResult> ListAsync(CancellationToken cancellationToken)
    {
        var list = await Api.GetAsync<List<WebhookPolicy>>($"/projects/{ProjectRef}/webhook/policies?page_size=100&sort=name", cancellationToken);
        if (!list.Ok && Failed(list) is { } signIn) return signIn;
        Policies = list.Value ?? [];
        Selected = Policies.FirstOrDefault(p => p.Id == PolicyId);
        if (Selected is not null)
        {
            var executions = await Api.GetAsync<List<WebhookExecution>>(
                $"/projects/{ProjectRef}/webhook/policies/{Selected.Id}/executions?page_size=25", cancellationToken);
            if (!executions.Ok && Failed(executions) is { } again) return again;
            Executions = executions.Value ?? [];
        }
        return Page();
    }

    public static string Code(int? code) => code?.ToString(CultureInfo.InvariantCulture) ?? "—";
}

public sealed class WebhookForm
{
    public long? Id { get; set; }

    [Required(ErrorMessage = "Enter a name."), StringLength(255), Display(Name = "Name")]
    public string Name { get; set; } = "";

    [StringLength(1024), Display(Name = "Description")]
    public string? Description { get; set; }

    [Required(ErrorMessage = "Enter the endpoint URL."), StringLength(2048), Display(Name = "Endpoint URL")]
    public string Address { get; set; } = "";

    [Display(Name = "Notify type")]
    public string NotifyType { get; set; } = "http";

    [Display(Name = "Payload format")]
    public string PayloadFormat { get; set; } = "Default";

    [StringLength(4096), Display(Name = "Auth header")]
    public string? AuthHeader { get; set; }

    [Display(Name = "Skip certificate verification")]
    public bool SkipCertVerify { get; set; }

    [Display(Name = "Enabled")]
    public bool Enabled { get; set; } = true;

    public List<string> EventTypes { get; set; } = ["PUSH_ARTIFACT"];
}
