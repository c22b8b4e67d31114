// The EventBus contract and Kafka specifics again, on the @platformatic/kafka adapter (ADR 0013):
// it stays selectable (KAFKA_CLIENT=platformatic), so it is held to the same contract in every run.
process.env.KAFKA_CLIENT = 'platformatic';
await import('./kafka-event-bus.test');
export {};
