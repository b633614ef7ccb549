/**
 * The yardstick for callback latency: a bare express app that parses a JSON
 * body and sends it back, in its own process like the bot. Whatever the bot
 * adds on top of this (decrypting, checking signatures, dedupe, the form's
 * work, SQLite) is what the ratio in the benchmark table shows.
 */
import express from 'express';
import { servePhases } from './probe.js';

servePhases();

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '1mb' }));
app.post('/webhook/event', (req, res) => {
  res.json(req.body);
});
const server = app.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  process.stdout.write(`${JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS })}\n`);
  process.exit(0);
});
