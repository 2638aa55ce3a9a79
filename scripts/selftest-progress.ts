/** A quiet jest reporter for the selftest: one dot per finished spec file, since failures are expected. */
export default class SelftestProgress {
  private done = 0;

  onRunStart(results: { numTotalTestSuites: number }): void {
    process.stdout.write(`selftest: running ${results.numTotalTestSuites} spec files `);
  }

  onTestResult(): void {
    this.done += 1;
    process.stdout.write(this.done % 50 === 0 ? `${this.done}\n` : '.');
  }

  onRunComplete(): void {
    process.stdout.write('\n');
  }
}
