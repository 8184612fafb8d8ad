using PcapInsight.Core.Decoding;

namespace PcapInsight.TestKit.Crafted;

/// <summary>
/// Writes both sides of one TCP connection as IPv4 frames, keeping each side's sequence number and the
/// acknowledgment of the other side's bytes, the way a stack would.
/// </summary>
internal sealed class TcpTalk(FrameList frames, string client, ushort clientPort, string server, ushort serverPort, uint clientIsn, uint serverIsn)
{
    private uint _clientNext = clientIsn;
    private uint _serverNext = serverIsn;
    private ushort _ipId = 1;

    public uint ClientNext => _clientNext;

    public uint ServerNext => _serverNext;

    /// <summary>A segment from the client; <paramref name="seq"/> overrides the next sequence number (probes, retransmissions).</summary>
    public void FromClient(double t, TcpFlags flags, int payload, ushort window, byte[]? options = null, uint? seq = null, bool advance = true) =>
        Send(t, fromClient: true, flags, payload, window, options, seq, advance);

    /// <summary>A segment from the server.</summary>
    public void FromServer(double t, TcpFlags flags, int payload, ushort window, byte[]? options = null, uint? seq = null, bool advance = true) =>
        Send(t, fromClient: false, flags, payload, window, options, seq, advance);

    private void Send(double t, bool fromClient, TcpFlags flags, int payload, ushort window, byte[]? options, uint? seq, bool advance)
    {
        uint s = seq ?? (fromClient ? _clientNext : _serverNext);
        uint ack = (flags & TcpFlags.Ack) != 0 ? (fromClient ? _serverNext : _clientNext) : 0;
        byte[] tcp = fromClient
            ? FrameBuilder.Tcp(clientPort, serverPort, s, ack, flags, window, options, payload)
            : FrameBuilder.Tcp(serverPort, clientPort, s, ack, flags, window, options, payload);
        byte[] ip = fromClient
            ? FrameBuilder.Ipv4(client, server, 6, tcp, id: _ipId++, dontFragment: true)
            : FrameBuilder.Ipv4(server, client, 6, tcp, id: _ipId++, dontFragment: true, ttl: 128);
        frames.Add(t, FrameBuilder.Ethernet(0x0800, ip));
        if (!advance)
        {
            return;
        }
        uint length = (uint)payload + ((flags & TcpFlags.Syn) != 0 ? 1u : 0) + ((flags & TcpFlags.Fin) != 0 ? 1u : 0);
        if (fromClient)
        {
            _clientNext = s + length;
        }
        else
        {
            _serverNext = s + length;
        }
    }
}
