-- api.search_context (20261209100000): each given memory's time, speakers and how much it says,
-- and the next memory of the same source (conversation, else title) in time, returned too;
-- only the caller's memories.
begin;
create extension if not exists pgtap with schema extensions;
select plan(7);

insert into auth.users (id, email) values
  ('68000000-0000-4000-8000-000000000001', 'talker680@example.com'),
  ('68000000-0000-4000-8000-000000000002', 'other680@example.com');

insert into public.memories (memory_id, user_id, title, content, people, occurred_at) values
  ('68000000-0000-4000-8000-0000000000a1', '68000000-0000-4000-8000-000000000001', 'Session 1',
   'Ayo: Did the shelter ever ring you back?', '[{"name": "Ayo", "role": "speaker"}]', '2024-05-09 18:00Z'),
  ('68000000-0000-4000-8000-0000000000a2', '68000000-0000-4000-8000-000000000001', 'Session 2',
   'Ayo: A turn of another session, in between.', '[{"name": "Ayo"}]', '2024-05-09 18:01Z'),
  ('68000000-0000-4000-8000-0000000000a3', '68000000-0000-4000-8000-000000000001', 'Session 1',
   'Mei: Yes! We picked up a shy tabby kitten called Miso last Friday.', '[{"name": "Mei"}]', '2024-05-09 18:02Z'),
  ('68000000-0000-4000-8000-0000000000b1', '68000000-0000-4000-8000-000000000002', 'Session 1',
   'Not yours.', '[]', '2024-05-09 18:00Z');

select set_config('role', 'authenticated', true),
       set_config('request.jwt.claims', '{"sub":"68000000-0000-4000-8000-000000000001","role":"authenticated"}', true);

select is((select next_memory_id from api.search_context(array['68000000-0000-4000-8000-0000000000a1'::uuid])
           where memory_id = '68000000-0000-4000-8000-0000000000a1'),
          '68000000-0000-4000-8000-0000000000a3'::uuid,
          'the next memory is the next of the same title in time (another session''s in between is skipped)');
select is((select next_of from api.search_context(array['68000000-0000-4000-8000-0000000000a1'::uuid])
           where memory_id = '68000000-0000-4000-8000-0000000000a3'),
          '68000000-0000-4000-8000-0000000000a1'::uuid, 'the next memory comes back too, naming its hit');
select is((select speakers from api.search_context(array['68000000-0000-4000-8000-0000000000a3'::uuid])),
          array['mei'], 'speakers: the lower-cased names in people');
select ok((select said from api.search_context(array['68000000-0000-4000-8000-0000000000a3'::uuid]))
          > (select said from api.search_context(array['68000000-0000-4000-8000-0000000000a1'::uuid])
             where memory_id = '68000000-0000-4000-8000-0000000000a1'),
          'said: the longer reply says more than the question');
select is((select next_memory_id from api.search_context(array['68000000-0000-4000-8000-0000000000a3'::uuid])),
          null::uuid, 'the last turn of a source has no next memory');
select is((select count(*)::integer from api.search_context(array['68000000-0000-4000-8000-0000000000b1'::uuid])),
          0, 'another person''s memory gives nothing');

select set_config('request.jwt.claims', '', true);
select is((select count(*)::integer from api.search_context(array['68000000-0000-4000-8000-0000000000a1'::uuid])),
          0, 'nobody signed in: nothing');

select * from finish();
rollback;
