using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Registry.Portal.Api;
using Registry.Portal.Api.Models;

namespace Registry.Portal.Pages.Admin;

/// <summary>
/// Users: search and page through them, create one (not in LDAP mode, where users come from the
/// directory), reset a password, grant or revoke system admin, delete.
/// </summary>
public sealed class UsersModel(RegistryApi api) : AdminListPage(api)
{
    /// <summary>What the create form asks; the password policy itself is the API's to enforce.</summary>
    public sealed class NewUserInput
    {
        [Required(ErrorMessage = "Enter a username."), StringLength(255), Display(Name = "Username")]
        public string Username { get; set; } = "";

        [EmailAddress(ErrorMessage = "Enter a valid email address."), StringLength(255), Display(Name = "Email")]
        public string? Email { get; set; }

        [StringLength(255), Display(Name = "Real name")]
        public string? Realname { get; set; }

        [Required(ErrorMessage = "Enter a password."), DataType(DataType.Password), Display(Name = "Password")]
        public string Password { get; set; } = "";
    }

    public NewUserInput Input { get; set; } = new();

    public IReadOnlyList<UserEntry> Users { get; private set; } = [];

    public bool LdapMode { get; private set; }

    /// <summary>The user whose reset form failed: it opens again with the message.</summary>
    public long? ResetFailedFor { get; private set; }

    /// <summary>The accounts whose admin flag and existence the API protects: the first admin and oneself.</summary>
    public bool IsProtected(UserEntry user) => user.UserId == 1 || user.UserId == CurrentUserId;

    public async Task<IActionResult> OnPostCreateAsync([Bind(Prefix = "Input")] NewUserInput input, CancellationToken cancellationToken)
    {
        Input = input;
        if (ModelState.IsValid)
        {
            var result = await Api.PostAsync("/users", new UserCreation(input.Username.Trim(), Blank(input.Email), Blank(input.Realname), input.Password), cancellationToken);
            if (result.Ok)
            {
                Flash = $"User {input.Username.Trim()} created.";
                return Back();
            }
            if (Failed(result) is { } signIn) return signIn;
        }
        var page = await LoadAsync(cancellationToken);
        ShowAtTopUnless(!LdapMode, string.Empty); // the form is not shown in LDAP mode
        return page;
    }

    public async Task<IActionResult> OnPostResetAsync(long id, string? username, string? newPassword, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(newPassword))
        {
            ModelState.AddModelError(RowKey(id), "Enter the new password.");
        }
        else
        {
            var result = await Api.PutAsync($"/users/{id}/password", new PasswordReset(newPassword), cancellationToken);
            if (result.Ok)
            {
                Flash = $"Password of {username} reset.";
                return Back();
            }
            if (Failed(result, RowKey(id)) is { } signIn) return signIn;
        }
        ResetFailedFor = id;
        return await RowFailedAsync(id, cancellationToken);
    }

    public async Task<IActionResult> OnPostAdminAsync(long id, string? username, bool grant, CancellationToken cancellationToken)
    {
        var result = await Api.PutAsync($"/users/{id}/sysadmin", new SysAdminFlag(grant), cancellationToken);
        if (result.Ok)
        {
            Flash = grant ? $"{username} is now a system admin." : $"{username} is no longer a system admin.";
            return Back();
        }
        return Failed(result, RowKey(id)) ?? await RowFailedAsync(id, cancellationToken);
    }

    public async Task<IActionResult> OnPostDeleteAsync(long id, string? username, CancellationToken cancellationToken)
    {
        var result = await Api.DeleteAsync($"/users/{id}", cancellationToken);
        if (result.Ok)
        {
            Flash = $"User {username} deleted.";
            return Back();
        }
        return Failed(result, RowKey(id)) ?? await RowFailedAsync(id, cancellationToken);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    protected override bool Shows(long id) => Users.Any(r => r.UserId == id);

    protected override async Task<IActionResult> LoadAsync(CancellationToken cancellationToken)
    {
        var info = await Api.GetAsync<SystemInfo>("/systeminfo", cancellationToken);
        LdapMode = info.Value?.AuthMode == "ldap_auth";
        var path = $"/users?page={P}&page_size={PageSize}&sort=username";
        if (QRoute is { } q) path += "&q=" + Query(("username", "~" + q));
        var users = await Api.GetAsync<List<UserEntry>>(path, cancellationToken);
        if (!users.Ok) return Failed(users, LoadKey) ?? Page();
        Users = users.Value ?? [];
        Total = users.Total ?? Users.Count;
        return Page();
    }
}
