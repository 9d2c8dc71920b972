-- Conversation ingestion's database half: claims under a lease (skip locked, one person's only
-- when asked), failures with backoff and giving up, finishing, by-hand re-runs, idle companion
-- conversations ending by themselves, memory supersession, and who may call what.
begin;
create extension if not exists pgtap with schema extensions;
select plan(36);

insert into auth.users (id, email) values
  ('50000000-0000-4000-8000-000000000001', 'ingest-a@example.com'),
  ('50000000-0000-4000-8000-000000000002', 'ingest-b@example.com');
insert into public.apps (app_id, slug, display_name, domain) values
  ('50000000-0000-4000-8000-0000000000a1', 't500_app', 'Ingestion', 'general');
insert into public.conversations (conversation_id, user_id, app_id, status, created_at, started_at, ended_at) values
  ('50000000-0000-4000-8000-0000000000c1', '50000000-0000-4000-8000-000000000001', null, 'ended', now() - interval '3 hours', now() - interval '3 hours', now() - interval '2 hours'),
  ('50000000-0000-4000-8000-0000000000c2', '50000000-0000-4000-8000-000000000001', null, 'active', now() - interval '3 hours', now() - interval '3 hours', null),
  ('50000000-0000-4000-8000-0000000000c3', '50000000-0000-4000-8000-000000000002', null, 'ended', now() - interval '3 hours', now() - interval '3 hours', now() - interval '3 hours');

-- Claims.
select is_empty(
  $$select * from private.claim_conversations_for_ingestion(10, interval '5 minutes', null, '50000000-0000-4000-8000-000000000001', 5, array['50000000-0000-4000-8000-0000000000c1'::uuid])$$,
  'a run does not claim what it already tried (p_exclude)');
select results_eq(
  $$select conversation_id, attempt from private.claim_conversations_for_ingestion(10, interval '5 minutes', null, '50000000-0000-4000-8000-000000000001')$$,
  $$values ('50000000-0000-4000-8000-0000000000c1'::uuid, 1)$$,
  'a claim takes the person''s ended conversation (not the active one), attempt 1');
select is((select status from public.conversations where conversation_id = '50000000-0000-4000-8000-0000000000c1'),
          'processing', 'a claimed conversation is processing');
select ok((select lease_expires_at between now() + interval '4 minutes' and now() + interval '6 minutes'
           from private.conversation_ingestions where conversation_id = '50000000-0000-4000-8000-0000000000c1'),
          'it is held under the lease asked for');
select is((select status from public.conversations where conversation_id = '50000000-0000-4000-8000-0000000000c3'),
          'ended', 'another person''s conversation is not claimed by a run scoped to one person');
select is_empty(
  $$select * from private.claim_conversations_for_ingestion(10, interval '5 minutes', null, '50000000-0000-4000-8000-000000000001')$$,
  'a conversation under a live lease is not claimed again');

-- A failure backs off; the last allowed one gives up.
select is(private.fail_conversation_ingestion('50000000-0000-4000-8000-0000000000c1', 'boom', interval '10 minutes', 3),
          false, 'a failure before the last attempt does not give up');
select results_eq(
  $$select last_error, lease_expires_at > now() + interval '9 minutes' from private.conversation_ingestions where conversation_id = '50000000-0000-4000-8000-0000000000c1'$$,
  $$values ('boom'::text, true)$$, 'the failure is recorded and the next try waits for the backoff');
select is_empty(
  $$select * from private.claim_conversations_for_ingestion(10, interval '5 minutes', null, '50000000-0000-4000-8000-000000000001')$$,
  'no claim during the backoff');
update private.conversation_ingestions set lease_expires_at = now() - interval '1 second'
where conversation_id = '50000000-0000-4000-8000-0000000000c1';
select results_eq(
  $$select conversation_id, attempt from private.claim_conversations_for_ingestion(10, interval '5 minutes', null, '50000000-0000-4000-8000-000000000001')$$,
  $$values ('50000000-0000-4000-8000-0000000000c1'::uuid, 2)$$,
  'once the lease has run out (a run died, or the backoff ended) the next run takes it, attempt 2');
update private.conversation_ingestions set attempts = 3 where conversation_id = '50000000-0000-4000-8000-0000000000c1';
select is(private.fail_conversation_ingestion('50000000-0000-4000-8000-0000000000c1', 'boom again', interval '0 seconds', 3),
          true, 'the failure of the last allowed attempt gives up');
select is_empty(
  $$select * from private.claim_conversations_for_ingestion(10, interval '5 minutes', null, '50000000-0000-4000-8000-000000000001')$$,
  'a given-up conversation is not claimed by a scheduled run');
select results_eq(
  $$select conversation_id, attempt from private.claim_conversations_for_ingestion(1, interval '5 minutes', '50000000-0000-4000-8000-0000000000c1')$$,
  $$values ('50000000-0000-4000-8000-0000000000c1'::uuid, 4)$$, 'a by-hand run takes it anyway');
select is((select gave_up_at from private.conversation_ingestions where conversation_id = '50000000-0000-4000-8000-0000000000c1'),
          null, 'and a new attempt is no longer given up');

-- A conversation whose runs kept dying (no failure recorded) is given up, not retried forever.
insert into public.conversations (conversation_id, user_id, status, created_at, started_at, ended_at) values
  ('50000000-0000-4000-8000-0000000000c4', '50000000-0000-4000-8000-000000000001', 'processing', now() - interval '3 hours', now() - interval '3 hours', now() - interval '3 hours');
insert into private.conversation_ingestions (conversation_id, user_id, attempts, lease_expires_at) values
  ('50000000-0000-4000-8000-0000000000c4', '50000000-0000-4000-8000-000000000001', 5, now() - interval '1 minute');
select is_empty(
  $$select * from private.claim_conversations_for_ingestion(10, interval '5 minutes', null, '50000000-0000-4000-8000-000000000001', 5)$$,
  'a conversation claimed max_attempts times whose last run died is not claimed again');
select results_eq(
  $$select gave_up_at is not null, last_error from private.conversation_ingestions where conversation_id = '50000000-0000-4000-8000-0000000000c4'$$,
  $$values (true, 'every run that took it died before finishing'::text)$$, 'it is given up, saying why');

-- Finishing.
select is(private.finish_conversation_ingestion('50000000-0000-4000-8000-0000000000c1', 'dotline-rules-1', '{"memories": 3}', 0.7, 'A; B'),
          true, 'a processing conversation is finished');
select results_eq(
  $$select status, importance_score, context_summary from public.conversations where conversation_id = '50000000-0000-4000-8000-0000000000c1'$$,
  $$values ('processed'::text, 0.7::float8, 'A; B'::text)$$, 'it is processed, with its importance and summary');
select results_eq(
  $$select lease_expires_at, last_error, extractor, counts, finished_at is not null from private.conversation_ingestions where conversation_id = '50000000-0000-4000-8000-0000000000c1'$$,
  $$values (null::timestamptz, null::text, 'dotline-rules-1'::text, '{"memories": 3}'::jsonb, true)$$,
  'the run is recorded: no lease, no error, the extractor and its counts');
select is(private.finish_conversation_ingestion('50000000-0000-4000-8000-0000000000c1', 'x', '{}', null, null),
          false, 'finishing a conversation that is not processing changes nothing');
select is_empty(
  $$select * from private.claim_conversations_for_ingestion(10, interval '5 minutes', null, '50000000-0000-4000-8000-000000000001')$$,
  'a processed conversation is not claimed by a scheduled run');
select results_eq(
  $$select conversation_id from private.claim_conversations_for_ingestion(1, interval '5 minutes', '50000000-0000-4000-8000-0000000000c1')$$,
  $$values ('50000000-0000-4000-8000-0000000000c1'::uuid)$$, 'a by-hand run re-runs a processed conversation');
select is_empty(
  $$select * from private.claim_conversations_for_ingestion(1, interval '5 minutes', '50000000-0000-4000-8000-0000000000c2')$$,
  'not even a by-hand run takes an active conversation');

-- Idle companion conversations end by themselves; coaching ones and fresh ones do not.
insert into public.conversations (conversation_id, user_id, app_id, status, created_at, started_at) values
  ('50000000-0000-4000-8000-0000000000d1', '50000000-0000-4000-8000-000000000001', null, 'active', now() - interval '2 hours', now() - interval '2 hours'),
  ('50000000-0000-4000-8000-0000000000d2', '50000000-0000-4000-8000-000000000001', null, 'active', now() - interval '2 hours', now() - interval '2 hours'),
  ('50000000-0000-4000-8000-0000000000d3', '50000000-0000-4000-8000-000000000001', '50000000-0000-4000-8000-0000000000a1', 'active', now() - interval '2 hours', now() - interval '2 hours');
update public.conversations set last_message_at = now() - interval '31 minutes'
where conversation_id in ('50000000-0000-4000-8000-0000000000d1', '50000000-0000-4000-8000-0000000000d3');
update public.conversations set last_message_at = now() - interval '29 minutes'
where conversation_id = '50000000-0000-4000-8000-0000000000d2';
select ok((private.end_idle_conversations() ->> 'conversations_ended')::integer >= 1,
          'the idle job reports how many it ended');
select results_eq(
  $$select status, ended_at = last_message_at from public.conversations where conversation_id = '50000000-0000-4000-8000-0000000000d1'$$,
  $$values ('ended'::text, true)$$, 'a companion conversation idle 30 minutes ends as of its last message');
select is((select status from public.conversations where conversation_id = '50000000-0000-4000-8000-0000000000d2'),
          'active', 'one idle 29 minutes stays active');
select is((select status from public.conversations where conversation_id = '50000000-0000-4000-8000-0000000000d3'),
          'active', 'a coaching conversation keeps its own lifecycle');
select is_empty($$select * from cron.job where jobname = 'end-idle-conversations' and schedule <> '*/5 * * * *'$$,
                'the idle job runs every 5 minutes');

-- Memory supersession and growth for a conversation.
insert into public.memories (memory_id, user_id, title, content) values
  ('50000000-0000-4000-8000-0000000000e1', '50000000-0000-4000-8000-000000000001', 'Paris', 'I live in Paris'),
  ('50000000-0000-4000-8000-0000000000e2', '50000000-0000-4000-8000-000000000001', 'Berlin', 'I moved to Berlin'),
  ('50000000-0000-4000-8000-0000000000e3', '50000000-0000-4000-8000-000000000002', 'Rome', 'I live in Rome');
select lives_ok(
  $$update public.memories set superseded_by = '50000000-0000-4000-8000-0000000000e2', invalid_at = now() where memory_id = '50000000-0000-4000-8000-0000000000e1'$$,
  'a memory may be superseded by a newer one of the same person');
select throws_ok(
  $$update public.memories set superseded_by = '50000000-0000-4000-8000-0000000000e3' where memory_id = '50000000-0000-4000-8000-0000000000e2'$$,
  '23503', null, 'but never by another person''s memory');
delete from public.memories where memory_id = '50000000-0000-4000-8000-0000000000e2';
select is((select superseded_by from public.memories where memory_id = '50000000-0000-4000-8000-0000000000e1'),
          null, 'deleting the newer memory unlinks the older one');
select lives_ok(
  $$insert into public.growth_events (user_id, entity_id, entity_type, dim_key, delta, source) values ('50000000-0000-4000-8000-000000000001', '50000000-0000-4000-8000-0000000000c1', 'conversation', 'self_know', 0.05, 'ingestion')$$,
  'a growth event may be about a conversation');

-- A kept extraction is an object, and always says which turns it was made from.
select throws_ok(
  $$update private.conversation_ingestions set extraction = '[]', turns_digest = 'x' where conversation_id = '50000000-0000-4000-8000-0000000000c1'$$,
  '23514', null, 'conversation_ingestions_extraction_object: an extraction is a JSON object');
select throws_ok(
  $$update private.conversation_ingestions set extraction = '{}', turns_digest = null where conversation_id = '50000000-0000-4000-8000-0000000000c1'$$,
  '23514', null, 'conversation_ingestions_extraction_has_digest: an extraction names the turns it came from');

-- Who may call what.
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "50000000-0000-4000-8000-000000000001", "role": "authenticated"}', true);
select throws_ok($$select * from private.claim_conversations_for_ingestion(1, interval '1 minute')$$, '42501', null,
                 'a signed-in person cannot claim conversations');
select throws_ok($$update public.memories set invalid_at = now() where memory_id = '50000000-0000-4000-8000-0000000000e1'$$, '42501', null,
                 'nor mark their own memory invalid: supersession is the server''s');
reset role;

select * from finish();
rollback;
