import t from 'tap';
import { InMemoryEventBus } from '../src/events/in-memory-event-bus';
import { eventBusContract } from '../src/testing/event-bus.contract';

eventBusContract(t, async () => new InMemoryEventBus({ retryBaseMs: 5 }));
