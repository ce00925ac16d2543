/**
 * The kafkajs producer `--to kafka` sends with: the same client settings as the Kafka source (TLS, SASL,
 * client id from AUDITQL_KAFKA_*, src/sources/kafka/kafka-env.ts), kafkajs's log lines into our logger,
 * and the idempotent producer settings of kafka-topic.ts.
 */
import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { Logger } from '../../log.js';
import type { KafkaEnv } from '../../sources/kafka/kafka-env.js';
import { kafkaLogCreator } from '../../sources/kafka/kafka-log.js';
import { KAFKA_PRODUCER_CONFIG } from './kafka-topic.js';

export function kafkaProducer(brokers: readonly string[], client: KafkaEnv, log: Logger): Producer {
  const kafka = new Kafka({
    clientId: client.clientId,
    brokers: [...brokers],
    ssl: client.ssl,
    ...(client.sasl ? { sasl: client.sasl } : {}),
    logLevel: logLevel.INFO,
    logCreator: kafkaLogCreator(log),
  });
  return kafka.producer({ ...KAFKA_PRODUCER_CONFIG });
}
