-- Foreign keys between part B's tables and part A's (memories, concepts, conversations), added
-- once both exist: derived artifacts point at the memory or concept they came from (V9.7/V11
-- derived_artifacts.source_memory_unit_id / source_concept_id), and a conversation may start from
-- a card (V9.7/V11 conversations.source_card_id). Each key includes user_id, so nothing links
-- across users, and "on delete set null (<column>)" clears only the link: losing the source must
-- not take the artifact or the conversation with it.

do $$
begin
  if not exists (
    select 1 from pg_catalog.pg_constraint
    where conrelid = 'public.derived_artifacts'::regclass and conname = 'derived_artifacts_source_memory_fk'
  ) then
    alter table public.derived_artifacts
      add constraint derived_artifacts_source_memory_fk
      foreign key (source_memory_unit_id, user_id) references public.memories (memory_id, user_id)
      on delete set null (source_memory_unit_id);
  end if;

  if not exists (
    select 1 from pg_catalog.pg_constraint
    where conrelid = 'public.derived_artifacts'::regclass and conname = 'derived_artifacts_source_concept_fk'
  ) then
    alter table public.derived_artifacts
      add constraint derived_artifacts_source_concept_fk
      foreign key (source_concept_id, user_id) references public.concepts (concept_id, user_id)
      on delete set null (source_concept_id);
  end if;

  -- conversations.source_card_id and its index come with the conversations table.
  if not exists (
    select 1 from pg_catalog.pg_constraint
    where conrelid = 'public.conversations'::regclass and conname = 'conversations_source_card_fk'
  ) then
    alter table public.conversations
      add constraint conversations_source_card_fk
      foreign key (source_card_id, user_id) references public.cards (card_id, user_id)
      on delete set null (source_card_id);
  end if;
end
$$;
