-- The webhook places a change posted in Supabase's shape by the outbox row holding it, delivered
-- or not, through outbox_row_changes_idx. Counts only this test's own rows.
begin;
create extension if not exists pgtap with schema extensions;
select plan(4);

select has_index('private', 'outbox', 'outbox_row_changes_idx',
  array['table_name', 'row_key', 'outbox_id'], 'changes of one row are indexed whatever their status');

insert into auth.users (id, email) values ('66000000-0000-4000-8000-0000000000a1', 'outbox-lookup@example.com');
insert into public.memories (memory_id, user_id, title, content) values
  ('66000000-0000-4000-8000-0000000000e1', '66000000-0000-4000-8000-0000000000a1', 'Porto', 'Bridges');
update public.memories set title = 'Porto at night' where memory_id = '66000000-0000-4000-8000-0000000000e1';
update private.outbox set status = 'delivered', delivered_at = now()
where row_key = '66000000-0000-4000-8000-0000000000e1';

create function pg_temp.placed(p_payload jsonb) returns bigint
language sql as $$
  select outbox_id from private.outbox
  where table_name = 'memories' and row_key = '66000000-0000-4000-8000-0000000000e1' and payload = p_payload
  order by outbox_id desc limit 1
$$;

select is(
  pg_temp.placed((select payload from private.outbox
                  where row_key = '66000000-0000-4000-8000-0000000000e1' and event_type = 'UPDATE')),
  (select outbox_id from private.outbox
   where row_key = '66000000-0000-4000-8000-0000000000e1' and event_type = 'UPDATE'),
  'a delivered change is found by its payload');
select is(
  pg_temp.placed((select payload from private.outbox
                  where row_key = '66000000-0000-4000-8000-0000000000e1' and event_type = 'INSERT')),
  (select outbox_id from private.outbox
   where row_key = '66000000-0000-4000-8000-0000000000e1' and event_type = 'INSERT'),
  'an older change of the same row is found as itself, not as the newest');
select is(
  pg_temp.placed('{"type": "INSERT", "table": "memories", "schema": "public", "record": {}, "old_record": null}'),
  null, 'a change the outbox never held is not found');

select * from finish();
rollback;
