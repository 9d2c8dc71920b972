-- Coaching catalogue (apps, personality schemas, knowledge, progress): constraints, the admin
-- claim as the only way to write, signed-in users reading only what is active, anon nothing.
begin;
create extension if not exists pgtap with schema extensions;
select plan(46);

create function pg_temp.affected(statement text) returns integer
language plpgsql as $$
declare n integer;
begin
  execute statement;
  get diagnostics n = row_count;
  return n;
end;
$$;

insert into auth.users (id, email) values
  ('10000000-0000-4000-8000-000000000001', 'admin@example.com'),
  ('10000000-0000-4000-8000-000000000002', 'alice@example.com');

-- Given a base personality, an overlay on it and two apps, one inactive.
insert into public.personality_schemas (personality_schema_id, schema_key, version, layer, schema, status, rollout_percentage, created_by)
values ('10000000-0000-4000-8000-0000000000a1', 't100_core', '1.0.0', 'base', '{"tone": "warm"}', 'active', 100, 'test'),
       ('10000000-0000-4000-8000-0000000000a2', 't100_core', '1.1.0', 'base', '{"tone": "direct"}', 'draft', 0, 'test');
insert into public.personality_schemas (personality_schema_id, schema_key, version, layer, parent_schema_id, schema, status, rollout_percentage, created_by)
values ('10000000-0000-4000-8000-0000000000a3', 't100_matchmaker_tone', '1.0.0', 'overlay', '10000000-0000-4000-8000-0000000000a1',
        '{"focus": ["dating"]}', 'active', 100, 'test');
insert into public.apps (app_id, slug, display_name, domain, personality_schema_id) values
  ('10000000-0000-4000-8000-0000000000b1', 't100_matchmaker', 'Hugo Matchmaker', 'dating', '10000000-0000-4000-8000-0000000000a3');
insert into public.apps (app_id, slug, display_name, domain, is_active) values
  ('10000000-0000-4000-8000-0000000000b2', 't100_retired', 'Hugo Retired', 'career', false);
insert into public.knowledge_bases (knowledge_base_id, slug, title) values
  ('10000000-0000-4000-8000-0000000000c1', 't100_intimacy_code', 'The Intimacy Code');
insert into public.knowledge_entries (knowledge_entry_id, knowledge_base_id, title, content) values
  ('10000000-0000-4000-8000-0000000000d1', '10000000-0000-4000-8000-0000000000c1', 'Principle 1', 'Be present.'),
  ('10000000-0000-4000-8000-0000000000d2', '10000000-0000-4000-8000-0000000000c1', 'Principle 2', 'Be honest.');

-- Personality schema constraints (seed 004 validation rules).
select throws_ok($$insert into public.personality_schemas (schema_key, version, layer, schema, created_by)
                   values ('x_hugo', '1.0.0', 'overlay', '{}', 't')$$,
                 '23514', null, 'an overlay without a parent is rejected');
select throws_ok($$insert into public.personality_schemas (schema_key, version, layer, parent_schema_id, schema, created_by)
                   values ('x_hugo', '1.0.0', 'base', '10000000-0000-4000-8000-0000000000a1', '{}', 't')$$,
                 '23514', null, 'a base with a parent is rejected');
select throws_ok($$insert into public.personality_schemas (schema_key, version, layer, schema, created_by)
                   values ('x_hugo', '1.0', 'base', '{}', 't')$$,
                 '23514', null, 'a version that is not X.Y.Z is rejected');
select throws_ok($$insert into public.personality_schemas (schema_key, version, layer, schema, created_by)
                   values ('x_hugo', '1.0.0', 'middle', '{}', 't')$$,
                 '23514', null, 'a layer other than base/overlay is rejected');
select throws_ok($$insert into public.personality_schemas (schema_key, version, layer, schema, status, created_by)
                   values ('x_hugo', '1.0.0', 'base', '{}', 'live', 't')$$,
                 '23514', null, 'an unknown status is rejected');
select throws_ok($$insert into public.personality_schemas (schema_key, version, layer, schema, rollout_percentage, created_by)
                   values ('x_hugo', '1.0.0', 'base', '{}', 101, 't')$$,
                 '23514', null, 'a rollout above 100% is rejected');
select throws_ok($$insert into public.personality_schemas (schema_key, version, layer, schema, created_by)
                   values ('x_hugo', '1.0.0', 'base', '[]', 't')$$,
                 '23514', null, 'a schema that is not a JSON object is rejected');
select throws_ok($$insert into public.personality_schemas (schema_key, version, layer, schema, created_by)
                   values ('t100_core', '1.0.0', 'base', '{}', 't')$$,
                 '23505', null, 'a family cannot have the same version twice');
select throws_ok($$update public.personality_schemas set status = 'active', rollout_percentage = 100
                   where personality_schema_id = '10000000-0000-4000-8000-0000000000a2'$$,
                 '23505', null, 'a family has one active 100% version at most');
select lives_ok($$update public.personality_schemas set status = 'active', rollout_percentage = 10
                  where personality_schema_id = '10000000-0000-4000-8000-0000000000a2'$$,
                'a partial rollout may run beside the 100% version');
select isnt((select activated_at from public.personality_schemas
             where personality_schema_id = '10000000-0000-4000-8000-0000000000a2'), null,
            'activation stamps activated_at');

-- Apps and knowledge constraints.
select throws_ok($$insert into public.apps (slug, display_name, domain) values ('Hugo-Career', 'Hugo Career', 'career')$$,
                 '23514', null, 'an app slug must be lowercase with underscores');
select throws_ok($$insert into public.apps (slug, display_name, domain) values ('hugo_sports', 'Hugo Sports', 'sports')$$,
                 '23514', null, 'an app domain must be one of the seed''s domains');
select throws_ok($$insert into public.apps (slug, display_name, domain) values ('t100_matchmaker', 'Again', 'dating')$$,
                 '23505', null, 'app slugs are unique');
select throws_ok($$insert into public.knowledge_bases (slug, title) values ('kb-1', 'KB')$$,
                 '23514', null, 'a knowledge base slug must be lowercase with underscores');
select throws_ok($$insert into public.knowledge_bases (slug, title, version) values ('kb_two', 'KB', 'v2')$$,
                 '23514', null, 'a knowledge base version must be X.Y.Z');
select throws_ok($$insert into public.knowledge_entries (knowledge_base_id, title, content)
                   values ('10000000-0000-4000-8000-0000000000c1', '  ', 'x')$$,
                 '23514', null, 'a knowledge entry needs a title');
select throws_ok($$insert into public.knowledge_entries (knowledge_base_id, title, content)
                   values ('10000000-0000-4000-8000-0000000000c1', 'T', '')$$,
                 '23514', null, 'a knowledge entry needs content');
select throws_ok($$insert into public.knowledge_entries (knowledge_base_id, title, content, section_number)
                   values ('10000000-0000-4000-8000-0000000000c1', 'T', 'C', -1)$$,
                 '23514', null, 'a section number cannot be negative');
select throws_ok($$insert into public.app_knowledge_bases (app_id, knowledge_base_id)
                   values ('10000000-0000-4000-8000-0000000000b1', '10000000-0000-4000-8000-0000000000ff')$$,
                 '23503', null, 'an app can only be linked to an existing knowledge base');
select is((select entry_count from public.knowledge_bases where slug = 't100_intimacy_code'), 2,
          'entry_count follows the entries');

-- User progress constraints.
select throws_ok($$insert into public.user_progress (user_id, app_id, milestones_reached)
                   values ('10000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-0000000000b1', '{first_chat,first_chat}')$$,
                 '23514', null, 'milestones cannot repeat');
select throws_ok($$insert into public.user_progress (user_id, app_id, total_messages)
                   values ('10000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-0000000000b1', -1)$$,
                 '23514', null, 'totals cannot be negative');

-- As a signed-in user without the admin claim.
set local role authenticated;
select set_config('request.jwt.claims', json_build_object('sub', '10000000-0000-4000-8000-000000000002', 'role', 'authenticated')::text, true);

select results_eq($$select slug from public.apps where slug like 't100%' order by slug$$, array['t100_matchmaker'],
                  'a user sees active apps only');
select results_eq($$select version from public.personality_schemas where schema_key = 't100_core' order by version$$,
                  array['1.0.0', '1.1.0'], 'a user sees active personality versions');
select is((select count(*)::integer from public.knowledge_entries where knowledge_base_id = '10000000-0000-4000-8000-0000000000c1'), 2, 'a user reads entries of active knowledge bases');
select throws_ok($$insert into public.apps (slug, display_name, domain) values ('rogue_app', 'Rogue', 'general')$$,
                 '42501', null, 'a user cannot create an app');
select is(pg_temp.affected($$update public.apps set display_name = 'Hacked' where slug = 't100_matchmaker'$$), 0,
          'a user cannot edit an app');
select is(pg_temp.affected($$delete from public.knowledge_entries$$), 0, 'a user cannot delete knowledge');
select throws_ok($$insert into public.knowledge_bases (slug, title) values ('rogue_kb', 'Rogue')$$,
                 '42501', null, 'a user cannot create a knowledge base');
select throws_ok($$update public.knowledge_entries set access_count = 1000$$,
                 '42501', null, 'nobody signed in may set access counts');
select throws_ok($$update public.knowledge_bases set entry_count = 1000$$,
                 '42501', null, 'nobody signed in may set entry counts');
select lives_ok($$insert into public.user_progress (app_id, current_focus_area) values ('10000000-0000-4000-8000-0000000000b1', 'listening')$$,
                'a user starts tracking progress in an app');
select throws_ok($$update public.user_progress set total_messages = 99$$,
                 '42501', null, 'a user cannot set progress totals');
select throws_ok($$insert into public.user_progress (user_id, app_id) values ('10000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-0000000000b1')$$,
                 '42501', null, 'a user cannot create progress for someone else');

-- As the admin (app_metadata.role = admin).
select set_config('request.jwt.claims', json_build_object('sub', '10000000-0000-4000-8000-000000000001', 'role', 'authenticated',
                                                         'app_metadata', json_build_object('role', 'admin'))::text, true);
select is((select count(*)::integer from public.apps where slug like 't100%'), 2, 'an admin sees inactive apps too');
select lives_ok($$insert into public.apps (slug, display_name, domain) values ('t100_career', 'Hugo Career', 'career')$$,
                'an admin creates an app');
select is(pg_temp.affected($$update public.apps set description = 'Dating coach' where slug = 't100_matchmaker'$$), 1,
          'an admin edits an app');
select lives_ok($$insert into public.app_knowledge_bases (app_id, knowledge_base_id)
                  values ('10000000-0000-4000-8000-0000000000b1', '10000000-0000-4000-8000-0000000000c1')$$,
                'an admin links a knowledge base to an app');
select lives_ok($$insert into public.knowledge_entries (knowledge_base_id, title, content, tags)
                  values ('10000000-0000-4000-8000-0000000000c1', 'Principle 3', 'Be curious.', '{curiosity}')$$,
                'an admin adds knowledge');
select throws_ok($$update public.knowledge_entries set access_count = 1000$$,
                 '42501', null, 'even an admin cannot forge access counts');
select is(pg_temp.affected($$update public.user_progress set current_focus_area = 'x'$$), 0,
          'the admin claim gives no access to a person''s progress');
select is((select count(*)::integer from public.user_progress where user_id = '10000000-0000-4000-8000-000000000002'), 0,
          'another user (even an admin) reads none of a person''s progress');

-- As anon: nothing.
reset role;
set local role anon;
select throws_ok($$select * from public.apps$$, '42501', null, 'anon cannot read apps');
select throws_ok($$select * from public.knowledge_entries$$, '42501', null, 'anon cannot read knowledge');
select throws_ok($$select * from public.user_progress$$, '42501', null, 'anon cannot read progress');
reset role;

select * from finish();
rollback;
