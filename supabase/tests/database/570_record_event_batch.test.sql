-- Recording an event batch in one call: it claims the id and stores the events as the caller, a
-- replay stores nothing, a reused id with other events is flagged, every row belongs to the
-- caller whatever the document says, and the events' insert policy still refuses another user's
-- row to a direct insert.
begin;
create extension if not exists pgtap with schema extensions;
select plan(12);

insert into auth.users (id, email) values
  ('57000000-0000-0000-0000-0000000000a1', 'reb-a@example.com'),
  ('57000000-0000-0000-0000-0000000000b1', 'reb-b@example.com');

select ok(not (select prosecdef from pg_proc
                where oid = 'private.record_event_batch(uuid, jsonb)'::regprocedure),
  'record_event_batch runs as its caller, so row-level security applies to its insert');
select ok(not has_function_privilege('anon', 'private.record_event_batch(uuid, jsonb)', 'EXECUTE'),
  'anon cannot record batches');

set local role authenticated;
select set_config('request.jwt.claims',
  json_build_object('sub', '57000000-0000-0000-0000-0000000000a1', 'role', 'authenticated')::text, true);

select is(
  (select row(batch_event_count, replayed, conflicting)::text
     from private.record_event_batch('57000000-0000-0000-0000-00000000ba01',
       '[{"action_type": "view", "duration_seconds": 5, "context": {"screen": "timeline"}},
         {"action_type": "search", "user_id": "57000000-0000-0000-0000-0000000000b1"}]')),
  row(2, false, false)::text,
  'the first call stores the batch');
select is(
  (select count(*)::integer from public.behaviour_events
    where user_id = '57000000-0000-0000-0000-0000000000a1'),
  2, 'both events are the caller''s, a user_id key in the document notwithstanding');
select is(
  (select row(context, metadata)::text from public.behaviour_events
    where user_id = '57000000-0000-0000-0000-0000000000a1' and event_type = 'search'),
  row('{}'::jsonb, '{}'::jsonb)::text,
  'absent context and metadata are stored as empty objects');
select is(
  (select row(batch_event_count, replayed, conflicting)::text
     from private.record_event_batch('57000000-0000-0000-0000-00000000ba01',
       '[{"context": {"screen": "timeline"}, "duration_seconds": 5,   "action_type": "view"},
         {"user_id": "57000000-0000-0000-0000-0000000000b1", "action_type": "search"}]')),
  row(2, true, false)::text,
  'the same events again (other key order and spacing) are a replay');
select is(
  (select row(batch_event_count, replayed, conflicting)::text
     from private.record_event_batch('57000000-0000-0000-0000-00000000ba01',
       '[{"action_type": "edit"}]')),
  row(2, true, true)::text,
  'the same id with other events is flagged as conflicting');
select is(
  (select count(*)::integer from public.behaviour_events
    where user_id = '57000000-0000-0000-0000-0000000000a1'),
  2, 'neither a replay nor a conflict stores anything');
select throws_ok(
  $$select * from private.record_event_batch(gen_random_uuid(), '{"action_type": "view"}')$$,
  '22023', null, 'events must come as an array');
select throws_ok(
  $$insert into public.behaviour_events (user_id, event_type)
    values ('57000000-0000-0000-0000-0000000000b1', 'view')$$,
  '42501', null, 'a direct insert of another user''s event is still refused');

select set_config('request.jwt.claims', '', true);
select throws_ok(
  $$select * from private.record_event_batch(gen_random_uuid(), '[{"action_type": "view"}]')$$,
  '42501', null, 'a caller without a user id records nothing');

reset role;
select is(
  (select count(*)::integer from public.behaviour_events
    where user_id = '57000000-0000-0000-0000-0000000000b1'),
  0, 'the other user has no events');

select * from finish();
rollback;
