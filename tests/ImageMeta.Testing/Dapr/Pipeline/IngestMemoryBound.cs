namespace ImageMeta.Testing.Dapr.Pipeline;

/// <summary>
/// Ingest's memory sizing, once, for the tests that hold the code and the manifests to it
/// (services/ingest/README.md, "Memory", has the measurements behind the numbers): peak resident memory is at most
/// a baseline plus a factor times <c>Ingest:UploadMemoryBudgetBytes</c>, and the sidecar's, which receives the same
/// uploads as base64 and decodes them, likewise with its own constants.
/// </summary>
public static class IngestMemoryBound
{
    private const long MiB = 1024 * 1024;

    /// <summary>Ingest's resident memory with its workflow worker running and no upload in flight, with room to spare.</summary>
    public const long BaselineBytes = 128 * MiB;

    /// <summary>
    /// Resident bytes per byte of budget: the upload's own buffer (4/3, its base64 form is written in place) and the
    /// gRPC client's serialized copy (4/3), plus what the collector has not yet taken back from finished uploads
    /// (measured up to 4.3 with the budget full and refused uploads coming back: 696 MiB for a 141 MiB budget).
    /// </summary>
    public const double BytesPerBudgetByte = 5.0;

    /// <summary>daprd's resident memory without uploads (the Dapr docs' sizing guidance for a sidecar).</summary>
    public const long SidecarBaselineBytes = 128 * MiB;

    /// <summary>
    /// daprd's bytes per byte of budget, from components-contrib's code (not measured here: no daprd on this machine):
    /// the gRPC message (4/3), its string conversion before decoding (4/3) and the decoded bytes (1), with the Go
    /// collector's headroom on top.
    /// </summary>
    public const double SidecarBytesPerBudgetByte = 5.0;

    /// <summary>The bound on ingest's peak resident memory for an upload budget.</summary>
    public static long Ingest(long uploadBudgetBytes) => BaselineBytes + (long)(BytesPerBudgetByte * uploadBudgetBytes);

    /// <summary>The bound on the ingest sidecar's memory for an upload budget.</summary>
    public static long Sidecar(long uploadBudgetBytes) => SidecarBaselineBytes + (long)(SidecarBytesPerBudgetByte * uploadBudgetBytes);
}
