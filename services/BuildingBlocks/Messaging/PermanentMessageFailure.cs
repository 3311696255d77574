namespace TrainingPlatform.BuildingBlocks.Messaging;

/// <summary>
/// Thrown by a consumer for a message that can never be handled (malformed, refers to nothing we know …).
/// It skips the retries and goes straight to the error queue with this reason, so the rest keep flowing.
/// </summary>
public sealed class PermanentMessageFailure(string reason) : Exception(reason);
