-- What a card shows of its entity (cards.display_data), written from the entity by the card
-- trigger (private.keep_entity_card) when the card is made and whenever what it shows changes,
-- so the gallery renders a card without reading the memory, concept, artifact or prompt.

create or replace function private.card_display_for(p_entity_type text, p_record jsonb)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select jsonb_strip_nulls(case p_entity_type
    when 'memory' then jsonb_build_object(
      'title', coalesce(p_record ->> 'title', left(p_record ->> 'content', 60)),
      'snippet', left(p_record ->> 'content', 280),
      'kind', p_record ->> 'memory_type',
      'tags', p_record -> 'tags')
    when 'concept' then jsonb_build_object(
      'title', p_record ->> 'name',
      'snippet', left(p_record ->> 'description', 280),
      'kind', p_record ->> 'type')
    when 'artifact' then jsonb_build_object(
      'title', p_record ->> 'title',
      'snippet', left(p_record ->> 'description', 280),
      'kind', p_record ->> 'artifact_type')
    when 'prompt' then jsonb_build_object(
      'title', left(p_record ->> 'prompt_text', 60),
      'snippet', left(p_record ->> 'prompt_text', 280),
      'kind', p_record ->> 'source_agent')
    else '{}'::jsonb
  end)
$$;
comment on function private.card_display_for(text, jsonb) is
  'A card''s display_data from its entity row: title, snippet (280 characters), kind, and a memory''s tags.';
revoke all on function private.card_display_for(text, jsonb) from public, anon, authenticated;

-- Cards made before display_data was written get it now (safe to re-run).
update public.cards c
set display_data = private.card_display_for(c.source_entity_type, e.record)
from (
  select 'memory' as kind, memory_id as id, to_jsonb(m) as record from public.memories m
  union all
  select 'concept', concept_id, to_jsonb(x) from public.concepts x
  union all
  select 'artifact', artifact_id, to_jsonb(a) from public.derived_artifacts a
  union all
  select 'prompt', prompt_id, to_jsonb(p) from public.proactive_prompts p
) e
where c.source_entity_type = e.kind and c.source_entity_id = e.id
  and c.display_data is distinct from private.card_display_for(c.source_entity_type, e.record);
