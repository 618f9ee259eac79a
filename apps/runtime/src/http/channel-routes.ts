/**
 * `/api/channel/v1`: Tributary's consumer-channel API in the OpenDXL consumer-service layout, over
 * the Kafka cluster given to `tributary serve --channel-brokers`. Behind the runtime's token (the
 * `/api` guard). Every refusal is a JSON 4xx; a Kafka that does not answer is a 503 (try again).
 *
 *   POST   /consumers                  {consumerGroup, configs}  → {consumerInstanceId}
 *   POST   /consumers/:id/subscription {topics}                  → 204
 *   GET    /consumers/:id/records                                → {records: [...]}
 *   POST   /consumers/:id/offsets      {offsets: [{topic, partition, offset}]} → 204 (the record's own offset)
 *   DELETE /consumers/:id                                        → 204
 *   POST   /produce                    {records: [{routingData: {topic, shardingKey}, message: {headers, payload}}]} → 204
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { ChannelError, type ChannelService } from '../channel/channel-service.js';
import { sendError } from './errors.js';

const TOPIC = z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, 'a topic name is 1-249 letters, digits, ".", "_" or "-"');
const CreateBody = z.object({
  consumerGroup: z.string().trim().min(1).max(249),
  configs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
});
const SubscribeBody = z.object({ topics: z.array(TOPIC).min(1).max(100) });
const CommitBody = z.object({
  offsets: z
    .array(z.object({ topic: TOPIC, partition: z.int().min(0), offset: z.int().min(0) }))
    .min(1)
    .max(10_000),
});
const ProduceBody = z.object({
  records: z
    .array(
      z.object({
        routingData: z.object({ topic: TOPIC, shardingKey: z.string().max(10_000).optional() }),
        message: z.object({
          headers: z.record(z.string(), z.string()).optional(),
          payload: z.base64(),
        }),
      }),
    )
    .min(1)
    .max(10_000),
});

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '/'}: ${i.message}`).join('; ');
  throw new ChannelError(`invalid request body: ${problems}`, 400);
}

type Handler = (req: Request, res: Response) => Promise<void> | void;

/** Errors of the service become JSON answers; anything else goes to the app's error handler. */
const handle =
  (fn: Handler) =>
  async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      await fn(req, res);
    } catch (error) {
      if (!(error instanceof ChannelError)) return next(error);
      const code =
        error.status === 404 ? 'E_NOT_FOUND' : error.status === 400 ? 'E_BODY_INVALID' : 'E_CHANNEL_UNAVAILABLE';
      if (error.status === 503 || error.status === 429) res.setHeader('Retry-After', '1');
      sendError(res, error.status, code, error.message);
    }
  };

export function channelRoutes(service: ChannelService): Router {
  const router = Router();
  router.post(
    '/consumers',
    handle(async (req, res) => {
      const body = parse(CreateBody, req.body);
      res.json({ consumerInstanceId: await service.create(body.consumerGroup, body.configs) });
    }),
  );
  router.post(
    '/consumers/:id/subscription',
    handle(async (req, res) => {
      await service.subscribe(String(req.params.id), parse(SubscribeBody, req.body).topics);
      res.status(204).end();
    }),
  );
  router.get(
    '/consumers/:id/records',
    handle((req, res) => {
      res.json({ records: service.records(String(req.params.id)) });
    }),
  );
  router.post(
    '/consumers/:id/offsets',
    handle(async (req, res) => {
      await service.commit(String(req.params.id), parse(CommitBody, req.body).offsets);
      res.status(204).end();
    }),
  );
  router.delete(
    '/consumers/:id',
    handle(async (req, res) => {
      await service.remove(String(req.params.id));
      res.status(204).end();
    }),
  );
  router.post(
    '/produce',
    handle(async (req, res) => {
      await service.produce(parse(ProduceBody, req.body).records);
      res.status(204).end();
    }),
  );
  return router;
}
