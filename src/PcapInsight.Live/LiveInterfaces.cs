using SharpPcap;
using SharpPcap.LibPcap;

namespace PcapInsight.Live;

/// <summary>One capture interface as libpcap lists it.</summary>
/// <param name="Index">1-based position in the list (what <c>-i N</c> takes).</param>
/// <param name="Name">Its name.</param>
/// <param name="Description">libpcap's description, often empty on Linux.</param>
/// <param name="Addresses">Its IP addresses.</param>
/// <param name="Up">The interface is up.</param>
/// <param name="Running">The interface is running (carrier).</param>
/// <param name="Loopback">A loopback interface.</param>
public sealed record LiveInterface(int Index, string Name, string Description, IReadOnlyList<string> Addresses, bool Up, bool Running, bool Loopback);

/// <summary>Lists interfaces and finds one by name or index, with the failures that need a clear message.</summary>
public static class LiveInterfaces
{
    private const uint PcapIfLoopback = 0x1, PcapIfUp = 0x2, PcapIfRunning = 0x4;

    /// <summary>Every interface libpcap can capture on.</summary>
    public static IReadOnlyList<LiveInterface> List() => Devices().Select(Describe).ToList();

    internal static IReadOnlyList<LibPcapLiveDevice> Devices()
    {
        try
        {
            return LibPcapLiveDeviceList.New();
        }
        catch (Exception ex) when (IsMissingLibrary(ex))
        {
            throw NoLibpcap(ex);
        }
        catch (PcapException ex)
        {
            throw Classify(ex.Message, "", ex);
        }
    }

    /// <summary>The device named <paramref name="nameOrIndex"/> (or at that 1-based index).</summary>
    internal static LibPcapLiveDevice Find(string nameOrIndex)
    {
        IReadOnlyList<LibPcapLiveDevice> devices = Devices();
        LibPcapLiveDevice? device = devices.FirstOrDefault(d => d.Name == nameOrIndex)
            ?? (int.TryParse(nameOrIndex, out int index) && index >= 1 && index <= devices.Count ? devices[index - 1] : null);
        if (device is null)
        {
            string names = string.Join(", ", devices.Select(d => d.Name).Take(12));
            throw new LiveCaptureException(LiveFailure.NoSuchInterface,
                $"no such interface '{nameOrIndex}'. Interfaces here: {names} (pcapinsight interfaces lists them with their addresses).");
        }
        return device;
    }

    internal static LiveInterface Describe(LibPcapLiveDevice d, int i) => new(
        i + 1,
        d.Name,
        d.Description ?? "",
        d.Addresses.Select(a => a.Addr?.ipAddress?.ToString()).Where(a => a is not null).Select(a => a!).ToList(),
        (d.Flags & PcapIfUp) != 0,
        (d.Flags & PcapIfRunning) != 0,
        (d.Flags & PcapIfLoopback) != 0);

    internal static bool IsMissingLibrary(Exception ex) =>
        ex is DllNotFoundException or EntryPointNotFoundException || ex.InnerException is { } inner && IsMissingLibrary(inner);

    internal static LiveCaptureException NoLibpcap(Exception ex) => new(LiveFailure.NoLibpcap,
        "libpcap is not installed, so live capture cannot start. Install it (Debian/Ubuntu: apt-get install libpcap0.8; " +
        "Fedora/RHEL: dnf install libpcap; macOS has it) and run again. Reading capture files with analyze needs no libpcap.", ex);

    /// <summary>Turns libpcap's message into a failure with advice.</summary>
    internal static LiveCaptureException Classify(string message, string device, Exception? inner)
    {
        string m = message.ToLowerInvariant();
        if (m.Contains("permission") || m.Contains("not permitted") || m.Contains("eperm") || m.Contains("eacces") || m.Contains("perm_denied"))
        {
            return new LiveCaptureException(LiveFailure.NoPermission,
                $"no permission to capture on {device} ({message.Trim()}). Run as root, or give the program the capture capabilities once: " +
                "sudo setcap cap_net_raw,cap_net_admin+eip \"$(readlink -f \"$(command -v dotnet)\")\" (or on the published pcapinsight binary).", inner);
        }
        if (m.Contains("not up") || m.Contains("notup") || m.Contains("network is down") || m.Contains("enetdown"))
        {
            return new LiveCaptureException(LiveFailure.InterfaceDown,
                $"interface {device} is down ({message.Trim()}). Bring it up (ip link set {device} up) or capture on another.", inner);
        }
        if (m.Contains("no such device") || m.Contains("nosuchdevice") || m.Contains("doesn't exist") || m.Contains("enodev") || m.Contains("no such file"))
        {
            return new LiveCaptureException(LiveFailure.NoSuchInterface,
                $"no such interface '{device}' ({message.Trim()}). pcapinsight interfaces lists them.", inner);
        }
        return new LiveCaptureException(LiveFailure.Other, $"cannot capture on {device}: {message.Trim()}", inner);
    }
}
