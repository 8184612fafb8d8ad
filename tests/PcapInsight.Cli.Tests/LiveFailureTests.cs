using PcapInsight.Live;
using Xunit;

namespace PcapInsight.Cli.Tests;

/// <summary>How libpcap's refusals become a failure with advice (the live tests meet most of them for real).</summary>
public class LiveFailureTests
{
    [Theory]
    [InlineData("Unable to activate the adapter (lo). (Error Code: PermissionDenied)", LiveFailure.NoPermission, "setcap cap_net_raw,cap_net_admin+eip")]
    [InlineData("socket: Operation not permitted", LiveFailure.NoPermission, "Run as root")]
    [InlineData("Unable to activate the adapter (veth0). (Error Code: InterfaceNotUp)", LiveFailure.InterfaceDown, "ip link set veth0 up")]
    [InlineData("That device is not up", LiveFailure.InterfaceDown, "ip link set veth0 up")]
    [InlineData("Unable to activate the adapter (x). (Error Code: NoSuchDevice)", LiveFailure.NoSuchInterface, "pcapinsight interfaces")]
    [InlineData("something else entirely", LiveFailure.Other, "cannot capture on veth0: something else entirely")]
    public void Classify_NamesTheCauseAndTheFix(string libpcap, LiveFailure failure, string advice)
    {
        LiveCaptureException ex = LiveInterfaces.Classify(libpcap, "veth0", null);

        Assert.Equal(failure, ex.Failure);
        Assert.Contains(advice, ex.Message);
    }

    [Fact]
    public void MissingLibpcap_IsRecognisedBehindATypeInitializer_AndSaysHowToInstallIt()
    {
        var missing = new TypeInitializationException("SharpPcap.LibPcap.LibPcapSafeNativeMethods", new DllNotFoundException("libpcap.so"));

        Assert.True(LiveInterfaces.IsMissingLibrary(missing));
        Assert.False(LiveInterfaces.IsMissingLibrary(new InvalidOperationException()));
        LiveCaptureException ex = LiveInterfaces.NoLibpcap(missing);
        Assert.Equal(LiveFailure.NoLibpcap, ex.Failure);
        Assert.Contains("apt-get install libpcap0.8", ex.Message);
    }
}
