using System.Text.Json;
using PcapInsight.Core.Capture;
using PcapInsight.Core.Decoding;
using PcapInsight.TestKit;
using SkiaSharp;
using Xunit;
using static PcapInsight.TestKit.FrameBuilder;

namespace PcapInsight.Cli.Tests;

/// <summary>One Chromium for the tests of a class (starting one takes about a second).</summary>
public sealed class BrowserFixture : IDisposable
{
    private HeadlessBrowser? _browser;

    /// <summary>The browser, started on first use.</summary>
    public HeadlessBrowser Browser => _browser ??= new HeadlessBrowser();

    /// <inheritdoc />
    public void Dispose() => _browser?.Dispose();
}

/// <summary>
/// report.html in a real headless browser (Debian's Chromium, over the DevTools protocol): every sample capture's report
/// loads without a script error or a refused resource, its script runs under its own Content-Security-Policy, every
/// chart image decodes, the findings are on the page, and a screenshot shows a rendered page. A capture crafted to
/// inject markup through every text a report shows gets none of it live.
/// </summary>
public sealed class ReportBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    public static TheoryData<string> SampleCaptures() => RepoPaths.SampleNames();

    [BrowserTheory]
    [MemberData(nameof(SampleCaptures))]
    public void SampleReport_LoadsWithoutErrors_WithItsFindingsAndCharts(string sample)
    {
        using var dir = CliRunner.TempDir();
        CliRun run = CliRunner.Run(["analyze", RepoPaths.Sample(sample), "-o", dir.Path, "-q", "--charts", "2"]);
        Assert.Equal(0, run.ExitCode);

        HeadlessBrowser browser = fixture.Browser;
        PageLoad load = browser.Load(dir.File("report.html"));

        Assert.Empty(load.Errors);
        Assert.Empty(load.Dialogs);
        Assert.Equal("yes", (string?)browser.Evaluate("document.documentElement.getAttribute('data-ready')"));
        int pngs = Directory.Exists(dir.File("charts")) ? Directory.GetFiles(dir.File("charts"), "*.png").Length : 0;
        Assert.Equal(pngs, (int)browser.Evaluate("document.images.length")!);
        Assert.Equal(pngs, (int)browser.Evaluate("Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().height > 0).length")!);
        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(dir.File("summary.json")));
        int findings = summary.RootElement.GetProperty("findings").GetArrayLength();
        Assert.Equal(findings, (int)browser.Evaluate("document.querySelectorAll('#findings .finding').length")!);
        Assert.True((double)browser.Evaluate("document.querySelector('#findings').getBoundingClientRect().height")! > 40);
        // Every link inside the page (a finding's flow, the flow table's ids, the navigation) leads somewhere.
        Assert.Equal(true, (bool?)browser.Evaluate("Array.from(document.querySelectorAll('a[href^=\"#\"]')).every(a => document.getElementById(a.getAttribute('href').slice(1)) !== null)"));
        int flows = summary.RootElement.GetProperty("flows").EnumerateObject().Sum(p => p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetInt32() : 0);
        Assert.Equal(Math.Min(flows, 1000), (int)browser.Evaluate("document.querySelectorAll('#flow-table tbody tr').length")!);
    }

    [BrowserFact]
    public void Screenshot_ShowsARenderedPage_WithFindingsAndCharts()
    {
        using var dir = CliRunner.TempDir();
        Assert.Equal(0, CliRunner.Run(["analyze", RepoPaths.Sample("zero-window.client.pcap"), "-o", dir.Path, "-q"]).ExitCode);
        HeadlessBrowser browser = fixture.Browser;
        Assert.Empty(browser.Load(dir.File("report.html")).Errors);

        byte[] shot = browser.Screenshot();
        using SKBitmap bitmap = SKBitmap.Decode(shot);
        Assert.Equal(1400, bitmap.Width);
        Assert.True(bitmap.Height > 3000, $"the whole page is captured: {bitmap.Height} px");
        // The findings block is drawn: its left border is the warning colour (a zero window is a warning).
        var box = browser.Evaluate("(() => { const r = document.querySelector('#findings .finding.warning').getBoundingClientRect(); return [r.left + window.scrollX, r.top + window.scrollY, r.height]; })()")!.AsArray();
        SKColor border = bitmap.GetPixel((int)(double)box[0]! + 1, (int)((double)box[1]! + (double)box[2]! / 2));
        Assert.Equal(new SKColor(0xef, 0x8a, 0x00), border);
        // The time-sequence chart is drawn where its <img> is: many colours there, not a blank box.
        var img = browser.Evaluate("(() => { const i = document.querySelector('img[alt^=\"Time-sequence\"]'); const r = i.getBoundingClientRect(); return [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height]; })()")!.AsArray();
        var colours = new HashSet<SKColor>();
        for (int y = 0; y < (int)(double)img[3]!; y += 3)
        {
            for (int x = 0; x < (int)(double)img[2]!; x += 3)
            {
                colours.Add(bitmap.GetPixel((int)(double)img[0]! + x, (int)(double)img[1]! + y));
            }
        }
        Assert.True(colours.Count > 20, $"{colours.Count} colours in the chart's box");
    }

    [BrowserFact]
    public void SortableTable_SortsByTheClickedColumn()
    {
        using var dir = CliRunner.TempDir();
        Assert.Equal(0, CliRunner.Run(["analyze", RepoPaths.Sample("zero-window.client.pcap"), "-o", dir.Path, "-q", "--format", "html"]).ExitCode);
        HeadlessBrowser browser = fixture.Browser;
        Assert.Empty(browser.Load(dir.File("report.html")).Errors);

        // Sorting the event counts by count (third column): ascending, then descending on a second click.
        browser.Evaluate("document.querySelectorAll('#event-counts th')[2].click()");
        var ascending = browser.Evaluate("Array.from(document.querySelectorAll('#event-counts tbody tr')).map(r => Number(r.cells[2].textContent))")!.AsArray().Select(n => (int)n!).ToList();
        browser.Evaluate("document.querySelectorAll('#event-counts th')[2].click()");
        var descending = browser.Evaluate("Array.from(document.querySelectorAll('#event-counts tbody tr')).map(r => Number(r.cells[2].textContent))")!.AsArray().Select(n => (int)n!).ToList();

        Assert.Equal(ascending.Order(), ascending);
        Assert.Equal(ascending.OrderDescending(), descending);
        Assert.True(ascending.Count >= 3);
    }

    /// <summary>Markup that would run script or load something if it reached the page unescaped.</summary>
    internal const string Hostile = "<script>alert('s')</script>\"'><img src=x onerror=alert('i')><svg onload=alert('v')>&amp;";

    [BrowserFact]
    public void HostileCapture_NothingItCarriesIsLive()
    {
        using var dir = CliRunner.TempDir();
        // The file's name and its interface's name are text from outside; the interface drops make an event (and a
        // finding) that repeats the name, and the cut last block a warning that names the file.
        string capture = dir.File("evil-<img src=x onerror=alert('f')>\"'.pcapng");
        File.WriteAllBytes(capture, HostileCapture());
        CliRun run = CliRunner.Run(["analyze", capture, "-o", dir.File("r"), "-q"]);
        Assert.Equal(0, run.ExitCode);
        string html = File.ReadAllText(dir.File("r/report.html"));
        Assert.Contains("&lt;script&gt;alert(&#39;s&#39;)&lt;/script&gt;", html);   // shown, as text
        Assert.DoesNotContain("<script>alert", html);
        Assert.DoesNotContain("<img src=x", html);
        Assert.DoesNotContain("<svg", html);

        HeadlessBrowser browser = fixture.Browser;
        PageLoad load = browser.Load(dir.File("r/report.html"));

        Assert.Empty(load.Errors);
        Assert.Empty(load.Dialogs);
        Assert.Equal(1, (int)browser.Evaluate("document.scripts.length")!);                // ours alone
        Assert.Equal(0, (int)browser.Evaluate("document.querySelectorAll('svg, img[src=x], [onerror], [onload]').length")!);
        Assert.Contains("<script>alert('s')</script>", (string)browser.Evaluate("document.querySelector('#capture').textContent")!);
        Assert.Contains("evil-<img src=x onerror=alert('f')>\"'.pcapng", (string)browser.Evaluate("document.title")!);
    }

    private static byte[] HostileCapture()
    {
        using var stream = new MemoryStream();
        var w = new PcapNgWriter(stream).Section().Interface(LinkType.Ethernet, name: Hostile);
        ulong t = 1_700_000_000_000_000;
        byte[] Frame(string src, string dst, byte[] tcp) => Ethernet(0x0800, Ipv4(src, dst, 6, tcp));
        w.Enhanced(0, t, Frame("192.0.2.1", "198.51.100.1", Tcp(40000, 80, 1000, 0, TcpFlags.Syn)));
        w.Enhanced(0, t + 1000, Frame("198.51.100.1", "192.0.2.1", Tcp(80, 40000, 5000, 1001, TcpFlags.Syn | TcpFlags.Ack)));
        w.Enhanced(0, t + 2000, Frame("192.0.2.1", "198.51.100.1", Tcp(40000, 80, 1001, 5001, TcpFlags.Ack, payloadLength: 100)));
        w.Enhanced(0, t + 3000, Frame("198.51.100.1", "192.0.2.1", Tcp(80, 40000, 5001, 1101, TcpFlags.Ack, window: 0)));
        w.Enhanced(0, t + 300_000, Frame("198.51.100.1", "192.0.2.1", Tcp(80, 40000, 5001, 1101, TcpFlags.Ack, window: 8192)));
        w.Statistics(0, interfaceDrops: 7);
        w.Enhanced(0, t + 400_000, Frame("192.0.2.1", "198.51.100.1", Tcp(40000, 80, 1101, 5001, TcpFlags.Ack, payloadLength: 100)));
        byte[] bytes = stream.ToArray();
        return bytes[..^10];   // cut inside the last block: a truncated-file warning
    }
}
