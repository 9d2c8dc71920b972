-- Memory sources: the owner reads the statements their memory stands for, another user and anon
-- read nothing and nobody writes the table directly; ingestion's private.place_statement merges
-- a repeated statement (any case or punctuation) into the live memory of the same type and
-- records a MERGE, keeps a changed fact apart, and is idempotent per message;
-- private.unmerge_memory_source splits a merged statement out, for its owner only.
begin;
create extension if not exists pgtap with schema extensions;
select plan(19);

insert into auth.users (id, email) values
  ('63000000-0000-0000-0000-0000000000a1', 'src-a@example.com'),
  ('63000000-0000-0000-0000-0000000000b1', 'src-b@example.com');

select ok((select relrowsecurity from pg_class where oid = 'public.memory_sources'::regclass),
  'memory_sources has row-level security on');
select ok(not has_table_privilege('anon', 'public.memory_sources', 'SELECT'),
  'anon has no grant on memory_sources');
select ok(not has_table_privilege('authenticated', 'public.memory_sources', 'INSERT')
          and not has_table_privilege('authenticated', 'public.memory_sources', 'UPDATE')
          and not has_table_privilege('authenticated', 'public.memory_sources', 'DELETE'),
  'a person writes memory sources only through the functions');
select ok(not has_function_privilege('authenticated',
            'private.place_statement(uuid, uuid, text, uuid, uuid, timestamptz, text, text)', 'EXECUTE')
          and not has_function_privilege('anon', 'private.unmerge_memory_source(uuid, bigint)', 'EXECUTE'),
  'only the service places statements; anon cannot unmerge');

select is(private.statement_key('I love hiking, with my DOG!'), private.statement_key('i love  hiking with my dog'),
  'case, punctuation and spacing do not change a statement''s key');
select isnt(private.statement_key('I live in Cardiff.'), private.statement_key('I live in Bristol.'),
  'a changed fact has another key');

-- As the service (ingestion): A's first statement is new, its repeat joins it.
insert into public.memories (memory_id, user_id, memory_type, title, content, creation_ts)
values ('63000000-0000-0000-0000-0000000000f1', '63000000-0000-0000-0000-0000000000a1', 'memory',
        'Hiking', 'I love hiking with my dog.', '2026-01-01T10:00:00Z');
insert into public.memory_sources (memory_id, user_id, message_id, said_at, title, content, statement_key)
values ('63000000-0000-0000-0000-0000000000f1', '63000000-0000-0000-0000-0000000000a1',
        '63000000-0000-0000-0000-0000000000e1', '2026-01-01T10:00:00Z', 'Hiking',
        'I love hiking with my dog.', private.statement_key('I love hiking with my dog.'));

select is(
  private.place_statement('63000000-0000-0000-0000-0000000000a1', '63000000-0000-0000-0000-0000000000f2',
    'memory', null, '63000000-0000-0000-0000-0000000000e2', '2026-02-01T10:00:00Z', 'Hiking',
    'i love hiking, with my dog!'),
  '63000000-0000-0000-0000-0000000000f1'::uuid,
  'a repeated statement joins the memory already saying it');
select is(
  private.place_statement('63000000-0000-0000-0000-0000000000a1', '63000000-0000-0000-0000-0000000000f2',
    'memory', null, '63000000-0000-0000-0000-0000000000e2', '2026-02-01T10:00:00Z', 'Hiking',
    'i love hiking, with my dog!'),
  '63000000-0000-0000-0000-0000000000f1'::uuid,
  'placing the same message again answers the same memory');
select is((select count(*)::int from public.memory_sources where memory_id = '63000000-0000-0000-0000-0000000000f1'),
  2, 'and adds its source once');
select is((select count(*)::int from public.memory_history
           where memory_id = '63000000-0000-0000-0000-0000000000f1' and operation = 'MERGE'),
  1, 'the merge is a step of the memory''s history');
select is(
  private.place_statement('63000000-0000-0000-0000-0000000000a1', '63000000-0000-0000-0000-0000000000f3',
    'insight', null, '63000000-0000-0000-0000-0000000000e3', '2026-02-02T10:00:00Z', 'Hiking',
    'I love hiking with my dog.'),
  null, 'a statement of another type is not merged');
select is(
  private.place_statement('63000000-0000-0000-0000-0000000000b1', '63000000-0000-0000-0000-0000000000f4',
    'memory', null, '63000000-0000-0000-0000-0000000000e4', '2026-02-02T10:00:00Z', 'Hiking',
    'I love hiking with my dog.'),
  null, 'nor another person''s');

-- As B: nothing of A's to read or split.
set local role authenticated;
select set_config('request.jwt.claims',
  json_build_object('sub', '63000000-0000-0000-0000-0000000000b1', 'role', 'authenticated')::text, true);
select is((select count(*)::int from public.memory_sources), 0, 'another user reads no sources');
select is(
  (select outcome from private.unmerge_memory_source('63000000-0000-0000-0000-0000000000f1',
     (select max(memory_source_id) from public.memory_sources))),
  'not_found', 'another user cannot split someone''s memory');

-- As A: both sources readable; the merged one splits out, the original does not.
select set_config('request.jwt.claims',
  json_build_object('sub', '63000000-0000-0000-0000-0000000000a1', 'role', 'authenticated')::text, true);
select is((select count(*)::int from public.memory_sources), 2, 'the owner reads their memory''s sources');
select is(
  (select outcome from private.unmerge_memory_source('63000000-0000-0000-0000-0000000000f1',
     (select memory_source_id from public.memory_sources where merged_at is null))),
  'original', 'the statement a memory was written from cannot be split from it');
select is(
  (select outcome from private.unmerge_memory_source('63000000-0000-0000-0000-0000000000f1',
     (select memory_source_id from public.memory_sources where merged_at is not null))),
  'split', 'a merged statement splits out');
select is(
  (select row(m.content, m.creation_ts)::text from public.memories m
   join public.memory_sources s on s.memory_id = m.memory_id
   where s.message_id = '63000000-0000-0000-0000-0000000000e2'),
  row('i love hiking, with my dog!', '2026-02-01T10:00:00Z'::timestamptz)::text,
  'into a memory of its own words and time, taking its source along');
select is(
  (select array_agg(operation order by memory_history_id) from public.memory_history
   where memory_id = '63000000-0000-0000-0000-0000000000f1'),
  array['MERGE', 'UNMERGE'], 'the history shows the merge and the split');

select * from finish();
rollback;
