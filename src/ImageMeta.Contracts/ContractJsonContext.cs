using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImageMeta.Contracts;

/// <summary>
/// Compile-time JSON metadata for the contracts, with the same conventions as <see cref="ContractJson"/>,
/// so ahead-of-time compiled programs (the <c>imagemeta</c> CLI) serialize them without reflection.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(ImageMetadata))]
[JsonSerializable(typeof(ImageRecord))]
[JsonSerializable(typeof(BlobReference))]
[JsonSerializable(typeof(ProcessingFailure))]
[JsonSerializable(typeof(ImageThumbnail))]
[JsonSerializable(typeof(ImageAnalysis))]
[JsonSerializable(typeof(UploadAccepted))]
[JsonSerializable(typeof(ImageStatusView))]
[JsonSerializable(typeof(DeleteAccepted))]
[JsonSerializable(typeof(ReprocessAccepted))]
[JsonSerializable(typeof(ReprocessingRequest))]
[JsonSerializable(typeof(ReprocessingJob))]
[JsonSerializable(typeof(ReprocessingJobs))]
public sealed partial class ContractJsonContext : JsonSerializerContext;
