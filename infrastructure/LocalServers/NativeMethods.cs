using System.Runtime.InteropServices;

namespace TrainingPlatform.LocalServers;

/// <summary>The two libc calls .NET has no managed API for: sending arbitrary signals and asking who we run as.</summary>
internal static class NativeMethods
{
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static extern int Kill(int pid, int signal);

    [DllImport("libc", EntryPoint = "geteuid")]
    internal static extern uint GetEffectiveUserId();
}
