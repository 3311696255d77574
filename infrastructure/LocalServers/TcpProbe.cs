using System.Net.Sockets;

namespace TrainingPlatform.LocalServers;

public static class TcpProbe
{
    public static async Task<bool> CanConnectAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await client.ConnectAsync("127.0.0.1", port, attempt.Token);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}

/// <summary>
/// Asks epmd for its registered names (NAMES_REQ) instead of a bare connect, which epmd would log as
/// "got partial packet only".
/// </summary>
public static class EpmdProbe
{
    private static readonly byte[] NamesRequest = [0, 1, (byte)'n'];

    public static async Task<bool> AnswersAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await client.ConnectAsync("127.0.0.1", port, attempt.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(NamesRequest, attempt.Token);
            var reply = new byte[4]; // epmd's own port number comes first
            await stream.ReadExactlyAsync(reply, attempt.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
