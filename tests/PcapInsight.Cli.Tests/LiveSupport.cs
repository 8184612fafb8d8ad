using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using PcapInsight.TestKit;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>Why live tests skip here: they need root (or CAP_NET_RAW) and libpcap; CI has both and never skips them.</summary>
internal static class LiveSkip
{
    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    public static bool IsRoot { get; } = OperatingSystem.IsLinux() && GetEuid() == 0;

    public static string? Reason => IsRoot || RepoPaths.IsCi
        ? null
        : "live capture needs root (or CAP_NET_RAW) and libpcap: run the tests as root, as CI does";
}

/// <summary>A fact that captures live: skipped with a stated reason without root, never in CI.</summary>
public sealed class LiveFactAttribute : FactAttribute
{
    /// <summary>Sets Skip when not root outside CI.</summary>
    public LiveFactAttribute() => Skip = LiveSkip.Reason;
}

/// <summary>
/// <c>pcapinsight live</c> running as its own process: started, waited for until it captures, then ended by a
/// signal (as a user's Ctrl-C) or by its own limits. Bounded in time; killed if it outlives the test.
/// </summary>
public sealed class LiveProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private LiveProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { lock (_stdout) { _stdout.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (_stderr) { _stderr.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>
    /// Starts <c>pcapinsight live ARGS</c> (after <paramref name="prefix"/>, e.g. setpriv) and waits until it captures.
    /// <paramref name="program"/> is the CLI's command (default: the JIT build beside the tests, through dotnet).
    /// </summary>
    public static LiveProcess Start(string[] args, string[]? prefix = null, bool waitForCapture = true, string[]? program = null)
    {
        string[] command = [.. prefix ?? [], .. program ?? ["dotnet", Path.Combine(AppContext.BaseDirectory, "pcapinsight.dll")], "live", .. args];
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = RepoPaths.Root };
        foreach (string a in command.Skip(1))
        {
            info.ArgumentList.Add(a);
        }
        var live = new LiveProcess(Process.Start(info)!);
        if (waitForCapture)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!live.Stderr.Contains("capturing on") && !live._process.HasExited && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
            Assert.True(live.Stderr.Contains("capturing on"), "live did not start capturing: " + live.Stderr);
            Thread.Sleep(300);   // libpcap is reading once the first status is out; leave it a moment
        }
        return live;
    }

    public string Stdout { get { lock (_stdout) { return _stdout.ToString(); } } }

    public string Stderr { get { lock (_stderr) { return _stderr.ToString(); } } }

    /// <summary>The most memory the process has held so far (VmHWM), bytes.</summary>
    public long PeakRssBytes()
    {
        string line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmHWM:"));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    /// <summary>Sends a signal (2 = SIGINT, 15 = SIGTERM).</summary>
    public void Signal(int signal) => Assert.Equal(0, Kill(_process.Id, signal));

    /// <summary>Waits for the process to end by itself or after a signal.</summary>
    public CliRun WaitForExit(TimeSpan? timeout = null)
    {
        if (!_process.WaitForExit(timeout ?? TimeSpan.FromSeconds(120)))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException("live did not end: " + Stderr);
        }
        _process.WaitForExit();
        return new CliRun(_process.ExitCode, Stdout, Stderr);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}

/// <summary>Known traffic for live tests, on loopback or a veth the test made: bounded in count and time.</summary>
internal static class Traffic
{
    /// <summary>
    /// Nagle × delayed ACK: a client with Nagle on writes a 20-byte header and a 200-byte body, then reads a 100-byte
    /// reply, <paramref name="requests"/> times. The body waits for the ACK of the header, which the server delays.
    /// </summary>
    public static void WriteWriteRead(int port, int requests)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        Task server = Task.Run(() =>
        {
            using TcpClient peer = listener.AcceptTcpClient();
            NetworkStream s = peer.GetStream();
            var request = new byte[220];
            for (int i = 0; i < requests; i++)
            {
                s.ReadExactly(request);
                s.Write(new byte[100]);
            }
        });
        using (var client = new TcpClient(AddressFamily.InterNetwork) { NoDelay = false })
        {
            client.Connect(IPAddress.Loopback, port);
            NetworkStream c = client.GetStream();
            var reply = new byte[100];
            for (int i = 0; i < requests; i++)
            {
                c.Write(new byte[20]);
                c.Write(new byte[200]);
                c.ReadExactly(reply);
            }
        }
        Assert.True(server.Wait(TimeSpan.FromSeconds(30)));
        listener.Stop();
    }

    /// <summary>A reader with a small receive buffer that stops reading for a while as a client sends <paramref name="bytes"/>.</summary>
    public static void SlowReader(int port, int bytes, int pauseMs)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Server.ReceiveBufferSize = 4096;   // inherited by the accepted socket, and set before the handshake
        listener.Start();
        Task server = Task.Run(() =>
        {
            using TcpClient peer = listener.AcceptTcpClient();
            NetworkStream s = peer.GetStream();
            Thread.Sleep(pauseMs);
            var buffer = new byte[65536];
            long got = 0;
            while (got < bytes)
            {
                int n = s.Read(buffer);
                if (n == 0)
                {
                    break;
                }
                got += n;
            }
        });
        using (var client = new TcpClient(AddressFamily.InterNetwork))
        {
            client.Connect(IPAddress.Loopback, port);
            client.GetStream().Write(new byte[bytes]);
        }
        Assert.True(server.Wait(TimeSpan.FromSeconds(30)));
        listener.Stop();
    }

    /// <summary><paramref name="count"/> UDP datagrams of <paramref name="size"/> bytes to an address.</summary>
    public static void Udp(IPAddress to, int port, int count, int size, int pauseEvery = 0)
    {
        using var socket = new Socket(to.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        var payload = new byte[size];
        for (int i = 0; i < count; i++)
        {
            BitConverter.TryWriteBytes(payload, i);
            socket.SendTo(payload, new IPEndPoint(to, port));
            if (pauseEvery > 0 && i % pauseEvery == pauseEvery - 1)
            {
                Thread.Sleep(1);
            }
        }
    }
}

/// <summary>
/// Two network namespaces of the test's own joined by a veth pair with a small MTU and documentation addresses:
/// 198.51.100.1 in the sending namespace (where live captures), 198.51.100.2 in the other. Nothing touches the
/// machine's own namespace; both are removed on dispose.
/// </summary>
internal sealed class SmallMtuLink : IDisposable
{
    public SmallMtuLink(int mtu)
    {
        string id = Guid.NewGuid().ToString("N")[..6];
        Sender = "pisnd" + id;
        Receiver = "pircv" + id;
        Interface = "pia" + id;
        string peer = "pib" + id;
        Ip("netns", "add", Sender);
        Ip("netns", "add", Receiver);
        Ip("-n", Sender, "link", "add", Interface, "type", "veth", "peer", "name", peer, "netns", Receiver);
        Ip("-n", Sender, "addr", "add", "198.51.100.1/24", "dev", Interface);
        Ip("-n", Sender, "link", "set", Interface, "mtu", mtu.ToString(), "up");
        Ip("-n", Sender, "link", "set", "lo", "up");
        Ip("-n", Receiver, "addr", "add", "198.51.100.2/24", "dev", peer);
        Ip("-n", Receiver, "link", "set", peer, "mtu", mtu.ToString(), "up");
        Ip("-n", Receiver, "link", "set", "lo", "up");
    }

    /// <summary>The namespace that sends and captures.</summary>
    public string Sender { get; }

    /// <summary>The namespace at the other end.</summary>
    public string Receiver { get; }

    /// <summary>The sending namespace's end of the link.</summary>
    public string Interface { get; }

    /// <summary>A command prefix that runs a program in the sending namespace.</summary>
    public string[] InSender => ["ip", "netns", "exec", Sender];

    /// <summary>Sends <paramref name="count"/> UDP datagrams of <paramref name="size"/> bytes from the sending namespace to 198.51.100.2.</summary>
    public void SendUdp(int port, int count, int size)
    {
        string script = $"import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range({count}):\n" +
                        $"    s.sendto(i.to_bytes(4,'big')+bytes({size - 4}),('198.51.100.2',{port}))\n    time.sleep(0.002)\n";
        CliRun run = CliRunner.RunProcess("ip", ["netns", "exec", Sender, "python3", "-c", script], timeout: TimeSpan.FromSeconds(60));
        Assert.True(run.ExitCode == 0, run.Stderr);
    }

    public void Dispose()
    {
        Ip("netns", "del", Sender);   // the veth pair goes with it
        Ip("netns", "del", Receiver);
    }

    private static void Ip(params string[] args)
    {
        CliRun run = CliRunner.RunProcess("ip", args, timeout: TimeSpan.FromSeconds(20));
        Assert.True(run.ExitCode == 0, $"ip {string.Join(' ', args)}: {run.Stderr}");
    }
}
