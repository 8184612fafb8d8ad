namespace PcapInsight.Reporting;

/// <summary>One drawn chart.</summary>
/// <param name="FileName">Its file name under <c>charts/</c>: stable, and says what it shows (<c>flow-12-time-sequence.png</c>).</param>
/// <param name="Title">The chart's title.</param>
/// <param name="Caption">One sentence on how to read it (the HTML report prints it under the image).</param>
/// <param name="FlowId">The flow it shows; 0 for a chart of the whole capture.</param>
/// <param name="Png">The PNG image.</param>
public sealed record Chart(string FileName, string Title, string Caption, int FlowId, byte[] Png);
