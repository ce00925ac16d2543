/**
 * Backpressure (docs/contributing.md "Configuration and lifecycle": backpressure, not throttles): when the record queue is full, a batch
 * handler pauses its own partition (kafkajs `EachBatchPayload.pause()`, i.e. `consumer.pause` for that
 * topic-partition), so the next fetch leaves it out instead of buffering more; every paused partition is
 * resumed once the pipeline has drained the queue to its low-water mark.
 */
export class PartitionPauser {
  private readonly resumes = new Map<string, () => void>();

  /** Pause `stream` once, with the payload's `pause()` (which returns the matching resume). */
  pause(stream: string, pause: () => () => void): void {
    if (!this.resumes.has(stream)) this.resumes.set(stream, pause());
  }

  resumeAll(): void {
    const resumes = [...this.resumes.values()];
    this.resumes.clear();
    for (const resume of resumes) resume();
  }

  get paused(): readonly string[] {
    return [...this.resumes.keys()];
  }
}
