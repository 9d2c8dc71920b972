-- Cards made by the pipeline: every memory, concept, derived artifact and proactive
-- prompt gets exactly one card, created by a trigger in the same transaction as the entity, so a
-- card can neither be missed (a crash between two writes) nor doubled (a retried worker). The
-- entity's delete removes its card. Cards then reach the cache and the cards channel through the
-- outbox like any other card change.

-- At most one card per presented entity: what makes the trigger (and any retry) idempotent.
create unique index if not exists cards_one_per_source_entity_idx
  on public.cards (user_id, source_entity_type, source_entity_id);
comment on index public.cards_one_per_source_entity_idx is
  'Exactly one card per memory, concept, artifact or prompt of a user.';

-- The card type a new card gets: the entity kind, or for an artifact its artifact_type (trophy,
-- insight_summary, ...), so the gallery can filter trophies apart from insight summaries.
create or replace function private.card_type_for(p_entity_type text, p_record jsonb) returns text
language sql
immutable
set search_path = ''
as $$
  select case p_entity_type
    when 'artifact' then coalesce(p_record ->> 'artifact_type', 'artifact')
    else p_entity_type
  end
$$;
comment on function private.card_type_for(text, jsonb) is
  'The card_type of the card made for an entity (its kind; an artifact''s artifact_type).';
revoke all on function private.card_type_for(text, jsonb) from public, anon, authenticated;

-- Trigger: TG_ARGV[0] is the cards vocabulary for the table (memory, concept, artifact, prompt),
-- TG_ARGV[1] its primary-key column. Security definer: people create memories under RLS, but
-- only the server writes cards.
create or replace function private.keep_entity_card() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_type text := tg_argv[0];
  v_row jsonb := to_jsonb(case when tg_op = 'DELETE' then old else new end);
  v_id uuid := (v_row ->> tg_argv[1])::uuid;
begin
  if tg_op = 'DELETE' then
    delete from public.cards
    where user_id = old.user_id and source_entity_type = v_type and source_entity_id = v_id;
    return old;
  end if;
  if tg_op = 'INSERT' then
    insert into public.cards (user_id, card_type, source_entity_id, source_entity_type, display_data)
    values (new.user_id, private.card_type_for(v_type, v_row), v_id, v_type,
            private.card_display_for(v_type, v_row))
    on conflict (user_id, source_entity_type, source_entity_id) do nothing;
    return new;
  end if;
  -- An update of what the card shows (the triggers name those columns): a write only when it moved.
  update public.cards set display_data = private.card_display_for(v_type, v_row)
  where user_id = new.user_id and source_entity_type = v_type and source_entity_id = v_id
    and display_data is distinct from private.card_display_for(v_type, v_row);
  return new;
end;
$$;
comment on function private.keep_entity_card() is
  'Trigger: creates the one card of a new memory, concept, artifact or prompt with its display_data (private.card_display_for), keeps that current when what it shows changes, removes the card with the entity.';
revoke all on function private.keep_entity_card() from public, anon, authenticated;

-- Named `<table>_with_card` so they fire after `<table>_to_outbox` (same-event triggers fire in
-- name order): the entity's change is queued, and announced, before its card's.

drop trigger if exists memories_with_card on public.memories;
create trigger memories_with_card
  after insert or delete or update of title, content, memory_type, tags on public.memories
  for each row execute function private.keep_entity_card('memory', 'memory_id');

drop trigger if exists concepts_with_card on public.concepts;
create trigger concepts_with_card
  after insert or delete or update of name, description, type on public.concepts
  for each row execute function private.keep_entity_card('concept', 'concept_id');

drop trigger if exists derived_artifacts_with_card on public.derived_artifacts;
create trigger derived_artifacts_with_card
  after insert or delete or update of title, description, artifact_type on public.derived_artifacts
  for each row execute function private.keep_entity_card('artifact', 'artifact_id');

drop trigger if exists proactive_prompts_with_card on public.proactive_prompts;
create trigger proactive_prompts_with_card
  after insert or delete or update of prompt_text, source_agent on public.proactive_prompts
  for each row execute function private.keep_entity_card('prompt', 'prompt_id');

-- Entities that existed before this migration get their cards now (safe to re-run).
insert into public.cards (user_id, card_type, source_entity_id, source_entity_type)
select user_id, 'memory', memory_id, 'memory' from public.memories
union all
select user_id, 'concept', concept_id, 'concept' from public.concepts
union all
select user_id, artifact_type, artifact_id, 'artifact' from public.derived_artifacts
union all
select user_id, 'prompt', prompt_id, 'prompt' from public.proactive_prompts
on conflict (user_id, source_entity_type, source_entity_id) do nothing;
