using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace PcapInsight.TestKit;

/// <summary>What a page did while it loaded in the browser.</summary>
/// <param name="Errors">Uncaught exceptions, console errors and browser log errors (CSP refusals among them).</param>
/// <param name="Dialogs">alert/confirm/prompt dialogs the page opened (an injected script's usual proof).</param>
public sealed record PageLoad(IReadOnlyList<string> Errors, IReadOnlyList<string> Dialogs);

/// <summary>
/// Debian's Chromium, headless, driven over the Chrome DevTools Protocol (a WebSocket; no driver or package needed):
/// loads a page, records every script error, console error and dialog from the first byte, evaluates expressions in
/// the page and takes screenshots. One browser per instance; disposing it ends the process and its profile folder.
/// </summary>
public sealed class HeadlessBrowser : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly List<JsonObject> _events = new();
    private int _nextId;

    /// <summary>The browser executable (PCAPINSIGHT_CHROMIUM, or chromium / chromium-browser / google-chrome on the PATH); null when none.</summary>
    public static string? Executable { get; } = Find();

    /// <summary>Why browser tests skip here: no browser outside CI. In CI they never skip (.ci/run installs chromium).</summary>
    public static string? SkipReason => Executable is not null || RepoPaths.IsCi
        ? null
        : "no Chromium here (apt-get install chromium, or set PCAPINSIGHT_CHROMIUM): the browser tests run in CI, where .ci/run installs it";

    /// <summary>Starts the browser on about:blank and attaches to its page.</summary>
    public HeadlessBrowser()
    {
        string exe = Executable ?? throw new InvalidOperationException("Chromium is not installed (apt-get install chromium)");
        _profile = Directory.CreateTempSubdirectory("pcapinsight-chromium-").FullName;
        var info = new ProcessStartInfo(exe)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string a in (string[])["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--disable-extensions", "--disable-background-networking", "--hide-scrollbars", "--remote-debugging-port=0",
                     "--remote-allow-origins=*", "--user-data-dir=" + _profile, "--window-size=1400,1000", "about:blank"])
        {
            info.ArgumentList.Add(a);
        }
        _process = Process.Start(info)!;
        _process.StandardOutput.ReadToEndAsync();
        string endpoint = WaitForEndpoint();
        var port = new Uri(endpoint).Port;
        using var http = new HttpClient { Timeout = Timeout };
        var targets = JsonNode.Parse(http.GetStringAsync($"http://127.0.0.1:{port}/json/list").GetAwaiter().GetResult())!.AsArray();
        string page = targets.First(t => (string?)t!["type"] == "page")!["webSocketDebuggerUrl"]!.GetValue<string>();
        using var cts = new CancellationTokenSource(Timeout);
        _socket.ConnectAsync(new Uri(page), cts.Token).GetAwaiter().GetResult();
        Send("Runtime.enable");
        Send("Log.enable");
        Send("Page.enable");
    }

    /// <summary>Loads <paramref name="path"/> (a local file) and waits for its load event; returns what went wrong while it loaded.</summary>
    public PageLoad Load(string path)
    {
        lock (_events)
        {
            _events.Clear();
        }
        Send("Page.navigate", new JsonObject { ["url"] = new Uri(Path.GetFullPath(path)).AbsoluteUri });
        WaitForEvent("Page.loadEventFired");
        Evaluate("1");   // let the events the load raised arrive
        var errors = new List<string>();
        var dialogs = new List<string>();
        lock (_events)
        {
            foreach (JsonObject e in _events)
            {
                string method = (string)e["method"]!;
                JsonNode? p = e["params"];
                switch (method)
                {
                    case "Runtime.exceptionThrown":
                        errors.Add("exception: " + p!["exceptionDetails"]!.ToJsonString());
                        break;
                    case "Runtime.consoleAPICalled" when (string?)p!["type"] is "error" or "assert":
                        errors.Add("console: " + p["args"]!.ToJsonString());
                        break;
                    case "Log.entryAdded" when (string?)p!["entry"]!["level"] == "error":
                        errors.Add("log: " + (string?)p["entry"]!["text"]);
                        break;
                    case "Page.javascriptDialogOpening":
                        dialogs.Add((string?)p!["message"] ?? "");
                        break;
                }
            }
        }
        return new PageLoad(errors, dialogs);
    }

    /// <summary>The value of a JavaScript expression in the page (returned by value).</summary>
    public JsonNode? Evaluate(string expression)
    {
        JsonNode result = Send("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true });
        if (result["exceptionDetails"] is { } ex)
        {
            throw new InvalidOperationException("evaluation failed: " + ex.ToJsonString());
        }
        return result["result"]!["value"];
    }

    /// <summary>A PNG screenshot of the whole page (beyond the viewport).</summary>
    public byte[] Screenshot()
    {
        JsonNode r = Send("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true });
        return Convert.FromBase64String((string)r["data"]!);
    }

    /// <summary>Ends the browser and removes its profile.</summary>
    public void Dispose()
    {
        try
        {
            _socket.Dispose();
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        finally
        {
            _process.Dispose();
            try
            {
                Directory.Delete(_profile, recursive: true);
            }
            catch (IOException)
            {
                // Chromium may still be writing its profile as it dies; the temp folder is cleaned later.
            }
        }
    }

    private string WaitForEndpoint()
    {
        var deadline = DateTime.UtcNow + Timeout;
        var seen = new StringBuilder();
        while (DateTime.UtcNow < deadline)
        {
            Task<string?> line = _process.StandardError.ReadLineAsync();
            if (!line.Wait(deadline - DateTime.UtcNow) || line.Result is null)
            {
                break;
            }
            seen.AppendLine(line.Result);
            const string Marker = "DevTools listening on ";
            int at = line.Result.IndexOf(Marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                // Keep draining stderr so that Chromium never blocks on a full pipe.
                _process.StandardError.ReadToEndAsync();
                return line.Result[(at + Marker.Length)..].Trim();
            }
        }
        throw new InvalidOperationException("Chromium did not open its DevTools endpoint: " + seen);
    }

    private JsonNode Send(string method, JsonObject? parameters = null)
    {
        int id = Interlocked.Increment(ref _nextId);
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        using var cts = new CancellationTokenSource(Timeout);
        _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, cts.Token).GetAwaiter().GetResult();
        while (true)
        {
            JsonObject reply = Receive(cts.Token);
            if (reply["id"] is { } replyId && replyId.GetValue<int>() == id)
            {
                if (reply["error"] is { } error)
                {
                    throw new InvalidOperationException($"{method}: {error.ToJsonString()}");
                }
                return reply["result"]!;
            }
        }
    }

    private void WaitForEvent(string method)
    {
        lock (_events)
        {
            if (_events.Any(e => (string?)e["method"] == method))
            {
                return;
            }
        }
        using var cts = new CancellationTokenSource(Timeout);
        while ((string?)Receive(cts.Token)["method"] != method)
        {
        }
    }

    /// <summary>Reads one message; events are recorded (and dialogs dismissed so the page can go on).</summary>
    private JsonObject Receive(CancellationToken cancel)
    {
        var buffer = new byte[1 << 16];
        using var text = new MemoryStream();
        WebSocketReceiveResult r;
        do
        {
            r = _socket.ReceiveAsync(buffer, cancel).GetAwaiter().GetResult();
            if (r.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException("Chromium closed the DevTools connection");
            }
            text.Write(buffer, 0, r.Count);
        }
        while (!r.EndOfMessage);
        var message = JsonNode.Parse(text.ToArray())!.AsObject();
        if (message["method"] is not null)
        {
            lock (_events)
            {
                _events.Add(message);
            }
            if ((string?)message["method"] == "Page.javascriptDialogOpening")
            {
                var dismiss = new JsonObject { ["id"] = Interlocked.Increment(ref _nextId), ["method"] = "Page.handleJavaScriptDialog", ["params"] = new JsonObject { ["accept"] = false } };
                _socket.SendAsync(Encoding.UTF8.GetBytes(dismiss.ToJsonString()), WebSocketMessageType.Text, true, cancel).GetAwaiter().GetResult();
            }
        }
        return message;
    }

    private static string? Find()
    {
        string? configured = Environment.GetEnvironmentVariable("PCAPINSIGHT_CHROMIUM");
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured) ? configured : null;
        }
        return ToolPath.Find("chromium", "chromium-browser", "google-chrome");
    }
}

/// <summary>A fact that needs Chromium: skipped with a stated reason where it is missing, never in CI.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    /// <summary>Sets Skip when no browser is installed outside CI.</summary>
    public BrowserFactAttribute() => Skip = HeadlessBrowser.SkipReason;
}

/// <summary>A theory that needs Chromium: skipped with a stated reason where it is missing, never in CI.</summary>
public sealed class BrowserTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets Skip when no browser is installed outside CI.</summary>
    public BrowserTheoryAttribute() => Skip = HeadlessBrowser.SkipReason;
}
