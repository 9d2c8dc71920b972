-- Knowledge entries versioned and deactivated (20261209160100): the version moves with what the
-- entry says only; a deactivated entry leaves every reader's view but an admin's and every
-- search; private.knowledge_near keeps only the app's active entries of active bases.
begin;
create extension if not exists pgtap with schema extensions;
select plan(10);

insert into auth.users (id, email) values ('11100000-0000-4000-8000-000000000001', 'kv@example.com');
insert into public.apps (app_id, slug, display_name, domain) values
  ('11100000-0000-4000-8000-0000000000b1', 't111_app', 'Hugo Run', 'health'),
  ('11100000-0000-4000-8000-0000000000b2', 't111_other', 'Hugo Other', 'health');
insert into public.knowledge_bases (knowledge_base_id, slug, title) values
  ('11100000-0000-4000-8000-0000000000c1', 't111_kb', 'Running');
insert into public.app_knowledge_bases (app_id, knowledge_base_id) values
  ('11100000-0000-4000-8000-0000000000b1', '11100000-0000-4000-8000-0000000000c1');
insert into public.knowledge_entries (knowledge_entry_id, knowledge_base_id, title, content) values
  ('11100000-0000-4000-8000-0000000000d1', '11100000-0000-4000-8000-0000000000c1', 'Pacing', 'Start slow.'),
  ('11100000-0000-4000-8000-0000000000d2', '11100000-0000-4000-8000-0000000000c1', 'Hydration', 'Drink water.');

update public.knowledge_entries set content = 'Start slower.' where knowledge_entry_id = '11100000-0000-4000-8000-0000000000d1';
select is((select version from public.knowledge_entries where knowledge_entry_id = '11100000-0000-4000-8000-0000000000d1'),
          2, 'a change of what the entry says is a new version');
update public.knowledge_entries set is_active = false, vector_store_id = 'item', version = 9
where knowledge_entry_id = '11100000-0000-4000-8000-0000000000d2';
select is((select version from public.knowledge_entries where knowledge_entry_id = '11100000-0000-4000-8000-0000000000d2'),
          1, 'deactivation and indexing leave the version alone, and nobody sets it');

set local role authenticated;
select set_config('request.jwt.claims',
  json_build_object('sub', '11100000-0000-4000-8000-000000000001', 'role', 'authenticated')::text, true);

select is((select count(*)::integer from public.knowledge_entries
           where knowledge_base_id = '11100000-0000-4000-8000-0000000000c1'),
          1, 'a member reads only active entries');
select is_empty($$select 1 from private.knowledge_matches('hydration water', 't111_app', 10)$$,
                'the words never find a deactivated entry');
select results_eq(
  $$select knowledge_entry_id, relevance from private.knowledge_near('t111_app',
      array['11100000-0000-4000-8000-0000000000d1', '11100000-0000-4000-8000-0000000000d2']::uuid[],
      array[0.3, 0.2]::real[])$$,
  $$values ('11100000-0000-4000-8000-0000000000d1'::uuid, 0.3::real)$$,
  'the meaning keeps the app''s active entries with their similarity');
select is_empty(
  $$select 1 from private.knowledge_near('t111_other', array['11100000-0000-4000-8000-0000000000d1']::uuid[], array[0.3]::real[])$$,
  'another app''s entries are never near');
select is(
  (select jsonb_agg(h -> 'channels') from jsonb_array_elements(api.knowledge_hits_by_meaning(
     'slower', 't111_app', 5, array['11100000-0000-4000-8000-0000000000d1']::uuid[], array[0.3]::real[])) h),
  '[["text", "vector"]]'::jsonb, 'an entry both channels found is one hit naming both');
select is_empty($$update public.knowledge_entries set is_active = true returning 1$$,
                'a member cannot reactivate an entry');

select set_config('request.jwt.claims',
  json_build_object('sub', '11100000-0000-4000-8000-000000000001', 'role', 'authenticated',
                    'app_metadata', json_build_object('role', 'admin'))::text, true);
select is((select count(*)::integer from public.knowledge_entries
           where knowledge_base_id = '11100000-0000-4000-8000-0000000000c1'),
          2, 'an admin reads deactivated entries too');
select throws_ok($$update public.knowledge_entries set version = 5$$, '42501', null,
                 'the version is not client-writable');

reset role;
select * from finish();
rollback;
