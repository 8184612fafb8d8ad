using System.Diagnostics;
using PcapInsight.Core.Analysis;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Core.Tests.Corpus;

/// <summary>
/// The corpus' tunnel captures (GRE, ERSPAN II and III, VXLAN, Geneve, GTP-U, IP in IP, Teredo, PPTP) against tshark,
/// frame by frame: every TCP or UDP datagram we found inside a tunnel has the addresses and ports of tshark's
/// innermost IP and transport layers, and every frame tshark opens as a tunnel we open too, but for the ones a
/// table here explains.
/// </summary>
public class CorpusTunnelTests
{
    public static TheoryData<string> TunnelFiles() =>
    [
        "arkime__gre-erspan-vxlan.pcap", "packetnet__gre_all_options.pcap", "peafowl__ipfrag-6in6_inner.pcap",
        "suricata__defrag-gre-ppp-max-ip-packet.pcap", "tcpdump__pptp-bigendian-retrans.pcap", "zeek__erspan-with-frags.pcap",
        "zeek__erspanIII.pcap", "zeek__gtp1-incl-fragmentation.pcap", "zeek__trunc-mpls-6in6-6in6-4in6-trunc.pcap",
        "zeek__tunnels-6in6in6.pcap", "zeek__tunnels-Teredo.pcap", "zeek__tunnels-geneve.pcap", "zeek__tunnels-geneve-truncated.pcapng",
        "zeek__tunnels-gre-aruba-zerowindow.pcap", "zeek__tunnels-gre-sample.pcap", "zeek__tunnels-gre-within-gre.pcap",
        "zeek__tunnels-vxlan-encapsulated-http.pcap", "zeek__tunnels-vxlan.pcap",
    ];

    /// <summary>
    /// file → (frames tshark opens as a tunnel and we do not, why). Opened but not IP inside (ARP in VXLAN, PPP's LCP in
    /// PPTP) or cut short inside (an IPv4 header in two IPv6 tunnels) counts as opened: the frame is counted as not IP
    /// or truncated, as tshark shows it.
    /// </summary>
    private static readonly Dictionary<string, (int Frames, string Why)> NotOpened = new()
    {
        ["zeek__tunnels-geneve-truncated.pcapng"] = (1, "the Geneve header ends where its Ethernet frame should begin: tshark calls it malformed, we keep the outer UDP datagram"),
    };

    [CorpusTheory]
    [MemberData(nameof(TunnelFiles))]
    public void Decode_TunnelCapture_InnermostHeadersAreTsharks(string file)
    {
        string path = CorpusManifest.Get(file).Path;
        Dictionary<long, TsharkFrame> tshark = Tshark(path);
        var p = new DecodedPacket();
        int compared = 0, notOpened = 0, comparable = 0;
        var disagreements = new List<string>();
        using IPacketSource source = CaptureFile.Open(path);
        while (source.TryRead(out CaptureInfo info, out ReadOnlySpan<byte> data))
        {
            FrameDecoder.Decode(data, info.LinkType, ref p, Math.Max(0, info.OriginalLength - info.CapturedLength));
            TsharkFrame t = tshark[info.FrameNumber];
            if (t.IsTunnel && p.TunnelDepth == 0 && !p.IsFragment)
            {
                notOpened++;   // a fragment is opened once reassembled (tshark shows the tunnel in the frame that completes it)
            }
            if (t.IsTunnel && t.InnerTransport && !t.Protocols.Contains("icmp") && !p.IsFragment)
            {
                comparable++;
            }
            if (p.TunnelDepth == 0 || p.Status != DecodeStatus.Ok || p.IsFragment || !p.HasPorts || p.Protocol is not (6 or 17) || t.Protocols.Contains("icmp"))
            {
                continue;   // nothing opened, or no ports to compare (ICMP: tshark also reads the headers an error quotes)
            }
            compared++;
            string ours = $"{p.Src} {p.Dst} {p.SrcPort} {p.DstPort}";
            string theirs = t.Innermost(p.Protocol == 6 ? "tcp" : "udp");
            if (ours != theirs)
            {
                disagreements.Add($"frame {info.FrameNumber}: ours {ours}, tshark {theirs} ({t.Protocols})");
            }
        }
        Assert.True(disagreements.Count == 0, $"{file}: {disagreements.Count} frames differ, first: {string.Join("; ", disagreements.Take(3))}");
        int expectedNotOpened = NotOpened.TryGetValue(file, out var known) ? known.Frames : 0;
        Assert.True(expectedNotOpened == notOpened, $"{file}: {notOpened} frames tshark opens as a tunnel are not opened here, expected {expectedNotOpened} ({known.Why})");
        Assert.True(comparable == 0 || compared > 0 || notOpened > 0, $"{file}: no frame compared");
    }

    [CorpusFact]
    public void Analyze_TunnelDepthZero_AnalysesTheOuterDatagramsAsBefore()
    {
        // The outer view: no frame is opened, and the flows are the tunnel endpoints' (VXLAN's UDP flows).
        AnalysisResult outer = Captures.Analyze(CorpusManifest.Get("zeek__tunnels-vxlan.pcap").Path, new AnalysisOptions { TunnelDepth = 0 });
        AnalysisResult inner = Captures.Analyze(CorpusManifest.Get("zeek__tunnels-vxlan.pcap").Path);

        Assert.Equal(0, outer.Packets.Tunneled);
        Assert.Equal(4, outer.Flows.Count(f => f.Protocol == 17 && (f.ServerPort == 4789 || f.ClientPort == 4789)));
        Assert.Equal(10, inner.Packets.Tunneled);
        Assert.Equal(10, inner.Packets.TunneledIn(TunnelKinds.Vxlan));
        Assert.DoesNotContain(inner.Flows, f => f.ServerPort == 4789 || f.ClientPort == 4789);
    }

    /// <summary>One frame as tshark decodes it: its protocol chain and every occurrence of the fields compared.</summary>
    private sealed record TsharkFrame(string Protocols, string[][] Fields)
    {
        private string[] Layers => Protocols.Split(':');

        /// <summary>Two IP layers, or a tunnel's own protocol, in the chain.</summary>
        public bool IsTunnel => Layers.Count(l => l is "ip" or "ipv6") > 1
            || Layers.Any(l => l is "gre" or "vxlan" or "geneve" or "gtp" or "teredo" or "erspan");

        /// <summary>A TCP or UDP layer after the last of two or more IP layers.</summary>
        public bool InnerTransport
        {
            get
            {
                string[] layers = Layers;
                int lastIp = Array.FindLastIndex(layers, l => l is "ip" or "ipv6");
                return lastIp > Array.FindIndex(layers, l => l is "ip" or "ipv6") && layers.Skip(lastIp).Any(l => l is "tcp" or "udp");
            }
        }

        /// <summary>"src dst sport dport" of the innermost IP layer and the last <paramref name="transport"/> layer.</summary>
        public string Innermost(string transport)
        {
            string[] layers = Layers;
            int lastIp = Array.FindLastIndex(layers, l => l is "ip" or "ipv6");
            if (lastIp < 0)
            {
                return "(no IP layer)";
            }
            string kind = layers[lastIp];
            int occurrence = layers.Take(lastIp + 1).Count(l => l == kind) - 1;
            int src = kind == "ip" ? 0 : 2;
            int port = transport == "tcp" ? 4 : 6;
            string At(int field, int i) => i < Fields[field].Length ? Fields[field][i] : "?";
            return $"{At(src, occurrence)} {At(src + 1, occurrence)} {At(port, Fields[port].Length - 1)} {At(port + 1, Fields[port + 1].Length - 1)}";
        }
    }

    private static Dictionary<long, TsharkFrame> Tshark(string capture)
    {
        var info = new ProcessStartInfo("tshark") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[]
        {
            "-r", capture, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,", "-e", "frame.number", "-e", "frame.protocols",
            "-e", "ip.src", "-e", "ip.dst", "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "udp.srcport", "-e", "udp.dstport",
        })
        {
            info.ArgumentList.Add(arg);
        }
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("tshark is needed (apt-get install tshark)", ex);
        }
        using (process)
        {
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"tshark failed: {stderr.Result}");
            var frames = new Dictionary<long, TsharkFrame>();
            foreach (string line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                string[] cells = line.Split('\t');
                string[][] fields = cells.Skip(2).Select(c => c.Length == 0 ? [] : c.Split(',')).ToArray();
                frames[long.Parse(cells[0])] = new TsharkFrame(cells[1], fields);
            }
            return frames;
        }
    }
}
