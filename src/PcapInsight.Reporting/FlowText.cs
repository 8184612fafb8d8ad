using PcapInsight.Core.Flows;

namespace PcapInsight.Reporting;

/// <summary>How the findings name a flow's endpoints.</summary>
internal static class FlowText
{
    /// <summary>The client's (<paramref name="client"/>) or the server's address and port, IPv6 in brackets.</summary>
    public static string Endpoint(Flow flow, bool client) => client ? flow.Client.ToString(flow.ClientPort) : flow.Server.ToString(flow.ServerPort);

    /// <summary>An event's address and port as the findings write them; the address alone without a port, empty without an address.</summary>
    public static string Endpoint(Core.Decoding.IpAddr address, ushort port) =>
        address.Version == 0 ? "" : port == 0 ? address.ToString() : address.ToString(port);
}
