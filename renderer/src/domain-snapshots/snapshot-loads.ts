/**
 * Which answers the Snapshots tab may show, and when it reads the snapshots again.
 *
 * The tab reloads when the guest's state changes (what it may offer depends on it). A snapshot operation
 * changes that state itself: creating one with memory pauses the guest while QEMU saves it, reverting
 * stops QEMU and starts a new one (shut off → paused → running). Those changes must not reload the tab
 * while the operation runs (the operation answers with the state after it), and an answer to a read sent
 * before the operation finished must not replace the operation's newer one. A read takes a number when it
 * is sent, an operation's answer when it arrives (it tells the state at that moment); an answer is shown
 * only if no newer one has been shown already.
 */
export class SnapshotLoads {
  private next = 0;
  private shown = 0;
  private readonly running = new Set<number>();

  /** Whether an operation is in flight. */
  get busy(): boolean {
    return this.running.size > 0;
  }

  /**
   * A read to send now (its number), or null when it would only race an operation in flight: `asked`
   * (the user pressed Refresh, or the tab opened) reads anyway.
   */
  beginLoad(asked: boolean): number | null {
    if (!asked && this.busy) return null;
    return ++this.next;
  }

  beginOperation(): number {
    const id = ++this.next;
    this.running.add(id);
    return id;
  }

  /** The operation answered (or failed): the number of its answer. */
  endOperation(id: number): number {
    this.running.delete(id);
    return ++this.next;
  }

  /** Whether the answer numbered `id` may be shown (then it is the one shown). */
  accept(id: number): boolean {
    if (id < this.shown) return false;
    this.shown = id;
    return true;
  }
}
