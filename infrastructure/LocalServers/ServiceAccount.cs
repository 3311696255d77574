using System.Diagnostics;

namespace TrainingPlatform.LocalServers;

/// <summary>
/// PostgreSQL refuses to run as root and RabbitMQ's files belong to its own user, so when we are root
/// the servers run as their system users and their folders must belong to them. As a normal user,
/// everything simply runs as that user.
/// </summary>
public static class ServiceAccount
{
    public static bool IsRoot { get; } = OperatingSystem.IsLinux() && NativeMethods.GetEffectiveUserId() == 0;

    /// <summary>The user a server should run as: <paramref name="systemUser"/> when root, otherwise null (= us).</summary>
    public static string? RunAsWhenRoot(string systemUser) => IsRoot ? systemUser : null;

    /// <summary>chown the given paths to <paramref name="user"/> (and its login group); no-op when user is null.</summary>
    public static async Task GiveToAsync(string? user, bool recursive, CancellationToken cancellationToken, params string[] paths)
    {
        if (user is null || paths.Length == 0)
        {
            return;
        }

        var start = new ProcessStartInfo("chown") { RedirectStandardError = true, RedirectStandardOutput = true };
        if (recursive)
        {
            start.ArgumentList.Add("-R");
        }

        start.ArgumentList.Add($"{user}:");
        start.ArgumentList.Add("--");
        foreach (var path in paths)
        {
            start.ArgumentList.Add(path);
        }

        using var chown = Process.Start(start) ?? throw new StartupException("could not start chown");
        var errors = await chown.StandardError.ReadToEndAsync(cancellationToken);
        await chown.WaitForExitAsync(cancellationToken);
        if (chown.ExitCode != 0)
        {
            throw new StartupException($"chown to user '{user}' failed: {errors.Trim()}");
        }
    }
}
