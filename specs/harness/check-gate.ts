/**
 * Lets the checks of an exercise run side by side while one of them can run alone: a turn alone
 * waits until the checks running have finished, and the checks asking after it wait for it (first
 * come, first served).
 */
interface Waiter {
  alone: boolean;
  grant: () => void;
}

export class CheckGate {
  private shared = 0;
  private alone = false;
  private readonly queue: Waiter[] = [];

  async runShared<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire(false);
    try {
      return await work();
    } finally {
      this.shared -= 1;
      this.pump();
    }
  }

  async runAlone<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire(true);
    try {
      return await work();
    } finally {
      this.alone = false;
      this.pump();
    }
  }

  private acquire(alone: boolean): Promise<void> {
    return new Promise((grant) => {
      this.queue.push({ alone, grant });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.alone) {
      const next = this.queue[0];
      if (next.alone && this.shared > 0) return;
      this.queue.shift();
      if (next.alone) this.alone = true;
      else this.shared += 1;
      next.grant();
    }
  }
}
