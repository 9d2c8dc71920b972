-- Merging concepts (private.merge_concept): references re-pointed in one transaction, the source
-- marked merged, growth moved by compensating events, and every refusal answered as an outcome.
begin;
create extension if not exists pgtap with schema extensions;
select plan(23);

insert into auth.users (id, email) values
  ('51000000-0000-4000-8000-000000000001', 'ana@example.com'),
  ('51000000-0000-4000-8000-000000000002', 'ben@example.com');
insert into public.concepts (concept_id, user_id, name, type, description, attributes) values
  ('51000000-0000-4000-8000-0000000000c1', '51000000-0000-4000-8000-000000000001', 'Ann', 'person', 'My sister',
   '{"related_concept_ids": ["51000000-0000-4000-8000-0000000000c3"]}'),
  ('51000000-0000-4000-8000-0000000000c2', '51000000-0000-4000-8000-000000000001', 'Annie', 'person', null, '{}'),
  ('51000000-0000-4000-8000-0000000000c3', '51000000-0000-4000-8000-000000000001', 'Paris', 'place', null,
   '{"related_concept_ids": ["51000000-0000-4000-8000-0000000000c2", "51000000-0000-4000-8000-0000000000c1"]}'),
  ('51000000-0000-4000-8000-0000000000c9', '51000000-0000-4000-8000-000000000002', 'Career', 'theme', null, '{}');
insert into public.concepts (concept_id, user_id, name, type, status, merged_into_concept_id) values
  ('51000000-0000-4000-8000-0000000000c4', '51000000-0000-4000-8000-000000000001', 'Annie B', 'person', 'merged',
   '51000000-0000-4000-8000-0000000000c2');
-- Each concept has its one card (made by the cards trigger where it exists); Annie's is a favourite.
insert into public.cards (user_id, card_type, source_entity_id, source_entity_type)
select '51000000-0000-4000-8000-000000000001', 'concept', c.concept_id, 'concept'
from public.concepts c
where c.user_id = '51000000-0000-4000-8000-000000000001'
  and not exists (select from public.cards k where k.source_entity_id = c.concept_id);
update public.cards set is_favorited = true where source_entity_id = '51000000-0000-4000-8000-0000000000c2';
insert into public.annotations (user_id, target_id, target_type, annotation_type, text_content) values
  ('51000000-0000-4000-8000-000000000001', '51000000-0000-4000-8000-0000000000c2', 'concept', 'note', 'Call her');
insert into public.reflections (reflection_id, user_id, content, reflection_type, related_entities) values
  ('51000000-0000-4000-8000-0000000000e1', '51000000-0000-4000-8000-000000000001', 'Family day', 'daily',
   '[{"entity_type": "concept", "entity_id": "51000000-0000-4000-8000-0000000000c2"}, {"entity_type": "memory", "entity_id": "51000000-0000-4000-8000-0000000000c2"}]');
insert into public.derived_artifacts (artifact_id, user_id, artifact_type, title, source_concept_id, source_entities) values
  ('51000000-0000-4000-8000-0000000000a1', '51000000-0000-4000-8000-000000000001', 'insight_summary', 'Sisters',
   '51000000-0000-4000-8000-0000000000c2',
   '[{"type": "concept", "id": "51000000-0000-4000-8000-0000000000c2"}, {"type": "challenge", "id": "51000000-0000-4000-8000-0000000000c2"}]');
insert into public.growth_events (user_id, entity_id, entity_type, dim_key, delta, source) values
  ('51000000-0000-4000-8000-000000000001', '51000000-0000-4000-8000-0000000000c2', 'concept', 'self_know', 0.5, 'test'),
  ('51000000-0000-4000-8000-000000000001', '51000000-0000-4000-8000-0000000000c2', 'concept', 'self_know', 0.25, 'test');

set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "51000000-0000-4000-8000-000000000001", "role": "authenticated"}', true);

select is((select outcome from private.merge_concept('51000000-0000-4000-8000-0000000000c2', '51000000-0000-4000-8000-0000000000c2')),
          'same_concept', 'a concept cannot merge into itself');
select is((select outcome from private.merge_concept('51000000-0000-4000-8000-0000000000c9', '51000000-0000-4000-8000-0000000000c1')),
          'source_not_found', 'another person''s concept looks missing as the source');
select is((select outcome from private.merge_concept('51000000-0000-4000-8000-0000000000c2', '51000000-0000-4000-8000-0000000000c9')),
          'target_not_found', 'another person''s concept looks missing as the target');
select is((select outcome from private.merge_concept('51000000-0000-4000-8000-0000000000c2', '51000000-0000-4000-8000-0000000000c4')),
          'target_merged', 'nothing merges into a merged concept');

select is((select outcome from private.merge_concept('51000000-0000-4000-8000-0000000000c2', '51000000-0000-4000-8000-0000000000c1')),
          'merged', 'the owner merges Annie into Ann');

reset role;
select is((select status || ' ' || merged_into_concept_id from public.concepts where concept_id = '51000000-0000-4000-8000-0000000000c2'),
          'merged 51000000-0000-4000-8000-0000000000c1', 'the source is marked merged into the survivor');
select is((select merged_into_concept_id from public.concepts where concept_id = '51000000-0000-4000-8000-0000000000c4'),
          '51000000-0000-4000-8000-0000000000c1'::uuid, 'an earlier merge into the source now points at the survivor');
select is((select attributes -> 'related_concept_ids' from public.concepts where concept_id = '51000000-0000-4000-8000-0000000000c3'),
          '["51000000-0000-4000-8000-0000000000c1"]'::jsonb, 'a related list naming both collapses onto the survivor');
select is((select attributes -> 'related_concept_ids' from public.concepts where concept_id = '51000000-0000-4000-8000-0000000000c1'),
          '["51000000-0000-4000-8000-0000000000c3"]'::jsonb, 'the survivor keeps its related list');
select is((select attributes ? 'related_concept_ids' from public.concepts where concept_id = '51000000-0000-4000-8000-0000000000c2'),
          false, 'the merged concept relates to nothing any more');
select is((select description from public.concepts where concept_id = '51000000-0000-4000-8000-0000000000c1'),
          'My sister', 'the survivor keeps its own description');
select is((select status || ' ' || is_favorited from public.cards where source_entity_id = '51000000-0000-4000-8000-0000000000c2'),
          'active_archive false', 'the source''s card is archived (the survivor has its one card)');
select is((select status || ' ' || is_favorited from public.cards where source_entity_id = '51000000-0000-4000-8000-0000000000c1'),
          'active_canvas true', 'the survivor''s card stays on the canvas and takes over the favourite');
select is((select source_concept_id::text || ' ' || source_entities::text from public.derived_artifacts where artifact_id = '51000000-0000-4000-8000-0000000000a1'),
          '51000000-0000-4000-8000-0000000000c1 [{"id": "51000000-0000-4000-8000-0000000000c1", "type": "concept"}, {"id": "51000000-0000-4000-8000-0000000000c2", "type": "challenge"}]',
          'an artifact drawn from the source now cites the survivor (its column and its concept sources)');
select is((select count(*)::integer from public.annotations where target_id = '51000000-0000-4000-8000-0000000000c1'),
          1, 'annotations of the source now annotate the survivor');
select is((select related_entities from public.reflections where reflection_id = '51000000-0000-4000-8000-0000000000e1'),
          '[{"entity_type": "concept", "entity_id": "51000000-0000-4000-8000-0000000000c1"}, {"entity_type": "memory", "entity_id": "51000000-0000-4000-8000-0000000000c2"}]'::jsonb,
          'a reflection''s concept reference moves; an equal id of another type does not');
select is((select sum(delta) from public.growth_events where entity_id = '51000000-0000-4000-8000-0000000000c2'),
          0::double precision, 'the source''s growth is compensated to zero');
select is((select sum(delta) from public.growth_events where entity_id = '51000000-0000-4000-8000-0000000000c1'),
          0.75::double precision, 'the survivor gains the source''s growth');
select is((select (growth_profile ->> 'self_know')::double precision from public.profiles where user_id = '51000000-0000-4000-8000-000000000001'),
          0.75::double precision, 'the person''s growth profile is unchanged by the move');

set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "51000000-0000-4000-8000-000000000001", "role": "authenticated"}', true);
select is((select outcome from private.merge_concept('51000000-0000-4000-8000-0000000000c2', '51000000-0000-4000-8000-0000000000c1')),
          'already_merged', 'repeating the merge is recognised and changes nothing');
select is((select outcome from private.merge_concept('51000000-0000-4000-8000-0000000000c2', '51000000-0000-4000-8000-0000000000c3')),
          'source_merged_elsewhere', 'a merged concept cannot merge again elsewhere');
select throws_ok($$update public.concepts set merged_into_concept_id = '51000000-0000-4000-8000-0000000000c3'
                   where concept_id = '51000000-0000-4000-8000-0000000000c2'$$,
                 '42501', null, 'a person cannot set merged_into_concept_id directly');
select throws_ok($$select private.repointed_concept_ids('[]', gen_random_uuid(), gen_random_uuid(), gen_random_uuid())$$,
                 '42501', null, 'the list helper is the server''s');

select * from finish();
rollback;
