namespace PcapInsight.Reporting;

/// <summary>
/// Writes a report file under a temporary name and renames it into place, so that a failure (disk full, a
/// killed process) never leaves a half-written file that looks complete.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>; the file appears only when complete.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string temporary = path + ".partial";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temporary);
            }
            catch (IOException)
            {
                // The original error is the one to report.
            }
            catch (UnauthorizedAccessException)
            {
            }
            throw;
        }
    }
}
