import type { Background } from './background';
import { UserReplayBudget, type ReplayLimits } from './replay-budget';

/**
 * The replay budgets of users with sockets here, and of users gone while
 * their budget still owes: a reconnect does not start afresh.
 */
export class ReplayBudgets {
  private readonly budgets = new Map<string, UserReplayBudget>();

  constructor(
    private readonly limits: ReplayLimits,
    private readonly connected: (userId: string) => boolean,
    private readonly background: Background,
  ) {}

  of(userId: string): UserReplayBudget {
    let budget = this.budgets.get(userId);
    if (!budget) this.budgets.set(userId, (budget = new UserReplayBudget(this.limits)));
    return budget;
  }

  /** The user's last socket here closed: forgets the budget once it owes nothing. */
  release(userId: string): void {
    const budget = this.budgets.get(userId);
    if (!budget || this.connected(userId)) return;
    const ms = budget.msUntilIdle();
    if (ms <= 0) this.budgets.delete(userId);
    else this.background.after(ms, 'replay budget release', () => this.release(userId));
  }
}
