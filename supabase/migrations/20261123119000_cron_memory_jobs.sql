-- Schedules for the memory and conversation jobs (20261123118000_memory_jobs.sql), in GMT
-- (pg_cron's cron.timezone default). cron.schedule with a job name replaces the job of that
-- name, so re-applying this file changes nothing. pg_cron lives in the `postgres` database.

create extension if not exists pg_cron;

-- Seed 004: archive at 02:00, expire at 03:00. Not scheduled in the seed: closing coaching chats
-- idle for 30 days (its state transition) runs just before the archive, decay after expiry.
select cron.schedule('close-inactive-conversations', '30 1 * * *', 'call private.close_inactive_conversations()');
select cron.schedule('archive-conversations', '0 2 * * *', 'call private.archive_old_conversations()');
select cron.schedule('expire-memories', '0 3 * * *', 'call private.expire_memories()');
select cron.schedule('decay-memory-importance', '30 3 * * *', 'call private.decay_memory_importance()');
