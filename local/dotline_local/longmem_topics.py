"""The facts people tell each other in the long-conversation benchmark (longmem_corpus.py).

A topic is one kind of news ("we adopted a dog", "I ran a race"): slot values, the friend's
question that comes just before the news (it shares the benchmark question's words), the
owner's reply or unprompted statement holding the fact (the evidence: written so that the
benchmark question reuses as few of its words as a person asking later would), reactions,
remarks on the topic that hold no fact, and the benchmark's questions. `{when}` is a relative
time ("last Saturday"), resolved against the session's date; `{q}` names one instance of a
topic that can happen several times (a trip, a race) in other words than the evidence.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    key: str
    values: tuple[dict[str, str], ...]
    asks: tuple[str, ...]
    answers: tuple[str, ...]
    says: tuple[str, ...]
    reacts: tuple[str, ...]
    questions: tuple[str, ...]
    when_questions: tuple[str, ...] = ()
    list_question: str | None = None  # set: the topic can happen several times to one person
    chatter: tuple[str, ...] = ()


def _v(*rows: str) -> tuple[dict[str, str], ...]:
    """Slot values from 'name=value|name=value' rows."""
    return tuple(dict(part.split("=", 1) for part in row.split("|")) for row in rows)


TOPICS: tuple[Topic, ...] = (
    Topic(
        "pet",
        _v(
            "animal=a three-year-old greyhound|pet=Biscuit",
            "animal=a shy tabby kitten|pet=Miso",
            "animal=a scruffy terrier cross|pet=Pickle",
            "animal=a grey lop-eared rabbit|pet=Clover",
            "animal=an elderly border collie|pet=Bramble",
            "animal=a one-eyed ginger tom|pet=Captain",
        ),
        (
            "Any news from the rescue centre about the adoption?",
            "Did the shelter ever get back to you about adopting?",
        ),
        (
            "Yes! {pet} came home with us {when}, {animal}. Still working out the stairs.",
            "We picked up {pet} {when}: {animal}, and already asleep on my side of the bed.",
        ),
        ("Meet the newest member of the family: {pet}, {animal}. We collected {pet} {when}.",),
        ("Oh my goodness, send photos immediately!", "That's the best news I've had all week."),
        (
            "What kind of animal did {name} adopt?",
            "What is the name of {name}'s rescue animal?",
            "What sort of animal is {pet}, the new arrival at {name}'s?",
        ),
        ("When did {name} get the new pet?", "When did {name} bring {pet} home?"),
        chatter=(
            "My neighbour's dog barked from six this morning.",
            "Pets are so much work though, the vet bills alone!",
        ),
    ),
    Topic(
        "race",
        _v(
            "race=the Riverside half marathon|time=two hours and four minutes|q=the half marathon along the river",
            "race=the city 10k|time=fifty-one minutes|q=the ten-kilometre run downtown",
            "race=the Harbour Trail 15k|time=an hour and twenty|q=the trail race by the docks",
            "race=the Caldbeck fell race|time=just under ninety minutes|q=the hill run in the Lakes",
            "race=the midnight relay|time=forty-four minutes for my leg|q=the night-time team event",
            "race=the Bay parkrun|time=twenty-six minutes|q=the Saturday 5k by the sea",
        ),
        ("How did the race go? Did you hit your target?", "Was it the big run this weekend?"),
        (
            "{race} was {when}. Crossed the line in {time} and then lay on the grass for ages.",
            "Done! Ran {race} {when}: {time}. My calves are furious with me.",
        ),
        ("I did {race} {when}: {time}, a personal best!",),
        ("You're a machine, honestly.", "I get tired just watching people do those."),
        ("How long did {name} take to complete {q}?", "What was {name}'s time in {race}?"),
        ("When did {name} take part in {q}?", "When did {name} run {race}?"),
        list_question="Which running events has {name} taken part in?",
        chatter=(
            "Hundreds of runners went past the bakery this morning.",
            "I keep meaning to start jogging again.",
        ),
    ),
    Topic(
        "trip",
        _v(
            "place=Lisbon|detail=custard tarts every single morning|q=Portugal",
            "place=the Isle of Skye|detail=rain sideways for three days|q=the Scottish island",
            "place=Kyoto|detail=so many temples my feet gave up|q=Japan",
            "place=a cabin near Lake Bled|detail=swimming before breakfast|q=Slovenia",
            "place=Marrakesh|detail=the souks lit up at night|q=Morocco",
            "place=Copenhagen|detail=cycling absolutely everywhere|q=Denmark",
            "place=the Amalfi coast|detail=lemons on everything|q=southern Italy",
        ),
        ("How was the holiday? Tell me everything!", "Are you back from your trip yet?"),
        (
            "Back {when}! Ten days in {place}, {detail}. I need another week off to recover.",
            "Got home {when}. Loved every minute in {place}: {detail}.",
        ),
        ("{when} we got back from {place}. Highlight: {detail}.",),
        ("Jealous doesn't even cover it.", "You look so relaxed in the pictures."),
        (
            "What stood out for {name} during the visit to {q}?",
            "What was the highlight of {name}'s time in {place}?",
        ),
        ("When did {name} return from {q}?", "When did {name} get back from {place}?"),
        list_question="Which destinations has {name} travelled to?",
        chatter=(
            "Flights are so expensive this year.",
            "I haven't had a proper break since Easter.",
        ),
    ),
    Topic(
        "class",
        _v(
            "class=pottery|venue=the community arts centre|q=ceramics",
            "class=salsa|venue=the dance studio above the chemist|q=Latin dance",
            "class=life drawing|venue=the old library|q=sketching",
            "class=Italian|venue=the adult education college|q=a foreign language",
            "class=bouldering|venue=the climbing wall on Mill Road|q=an indoor sport",
            "class=sourdough baking|venue=a bakery in the covered market|q=bread making",
        ),
        (
            "Did you end up booking that course you mentioned?",
            "What happened with the class you were looking at?",
        ),
        (
            "I did! It's {class} at {venue}, the first session was {when}. I was hopeless and loved it.",
        ),
        ("I've signed up for {class} at {venue}. Went to the first one {when}.",),
        ("Good for you, that sounds brilliant.", "I want a full report after next week's."),
        (
            "What kind of course did {name} enrol in?",
            "Where does {name} go for {q}?",
            "Where is {name} doing {class}?",
        ),
        ("When did {name}'s new hobby begin?", "When was {name}'s first {class} session?"),
        chatter=("Evening classes are booked up months ahead round here.",),
    ),
    Topic(
        "injury",
        _v(
            "part=ankle|how=missing the last step at the station",
            "part=wrist|how=coming off my bike on the ice",
            "part=knee|how=playing five-a-side",
            "part=shoulder|how=lifting the sofa on my own like an idiot",
            "part=back|how=gardening for six hours straight",
        ),
        (
            "What happened? You sounded sore on the phone.",
            "Are you alright? You were wincing earlier.",
        ),
        ("I twisted my {part} {when}, {how}. The physio says six weeks of rest.",),
        ("Bad news: I hurt my {part} {when}, {how}. Feeling very sorry for myself.",),
        ("Ouch! Take it easy, seriously.", "Oh no, do you need anything from the shops?"),
        (
            "What injury did {name} suffer?",
            "How did {name} get injured?",
            "How did {name} hurt {poss} {part}?",
        ),
        ("When did {name}'s accident happen?", "When did {name} injure {poss} {part}?"),
        chatter=(
            "The physio near me is booked up for weeks.",
            "I pulled something just getting out of bed, I'm getting old.",
        ),
    ),
    Topic(
        "book",
        _v(
            "book=The Lantern Keeper|author=Ines Marlow|q=the lighthouse novel",
            "book=Salt and Iron|author=Dev Okafor|q=the shipbuilding saga",
            "book=A House of Small Hours|author=Rhea Lindqvist|q=the ghost story",
            "book=The Cartographer's Daughter|author=Tomas Vell|q=the one about maps",
            "book=Nine Winters|author=Mara Quill|q=the Arctic memoir",
            "book=Everything the River Took|author=June Adeyemi|q=the flood thriller",
        ),
        ("Read anything good lately?", "What's on your bedside table at the moment?"),
        ("I just finished {book} by {author}, {when}. Stayed up till two to get to the end.",),
        ("{when} I finished {book} by {author}. Still thinking about the ending.",),
        ("Ooh, lend it to me when you can?", "Adding it to my pile of shame."),
        (
            "Which title kept {name} awake past midnight?",
            "Who wrote {q} that {name} loved?",
            "Who is the author of {book}, which {name} read?",
        ),
        ("When did {name} get to the end of {q}?", "When did {name} finish reading {book}?"),
        list_question="What books has {name} talked about reading?",
        chatter=("I fell asleep on page three again last night.",),
    ),
    Topic(
        "dish",
        _v(
            "dish=a proper ramen broth|tip=roasting the bones first|q=the Japanese noodle soup|food=ramen",
            "dish=my nan's lemon drizzle|tip=soaking it while it's still hot|q=the citrus cake|food=lemon drizzle",
            "dish=homemade gnocchi|tip=baking the potatoes instead of boiling them|q=the potato dumplings|food=gnocchi",
            "dish=mapo tofu|tip=frying the chilli bean paste until the oil goes red|q=the spicy Sichuan dish|food=mapo tofu",
            "dish=croissants from scratch|tip=keeping the butter fridge-cold|q=the French pastries|food=croissants",
        ),
        ("What did you end up making for the dinner party?", "How did the cooking experiment go?"),
        ("{dish}! Made it {when}, and the secret was {tip}.",),
        ("I finally nailed {dish} {when}. The trick is {tip}.",),
        ("Save me some next time!", "You should open a restaurant."),
        (
            "What technique made {q} work for {name}?",
            "Which recipe did {name} get right in the end?",
            "What is {name}'s secret for making {food}?",
        ),
        ("When did {name} succeed with {q}?", "When did {name} make {food}?"),
        list_question="What has {name} cooked successfully?",
        chatter=("I burnt the toast twice this morning, cooking is not my thing.",),
    ),
    Topic(
        "vehicle",
        _v(
            "vehicle=a second-hand electric hatchback|kind=electric car",
            "vehicle=a bright orange campervan|kind=campervan",
            "vehicle=a cargo bike with a box on the front|kind=cargo bike",
            "vehicle=an old Vespa|kind=Vespa",
            "vehicle=a seven-seater estate|kind=estate car",
        ),
        ("Did you sort out the transport situation?", "Are you still looking at cars?"),
        ("We went for {vehicle}, picked it up {when}. Goodbye to waiting at the bus stop.",),
        ("Picked up {vehicle} {when}, traded in the old rust bucket.",),
        ("Road trip! When can I have a go?", "Very fancy. Does it have heated seats?"),
        (
            "What vehicle did {name} purchase?",
            "What is {name} driving around in these days?",
            "Which {kind} did {name} pick up?",
        ),
        ("When did {name} collect the new set of wheels?", "When did {name} get the {kind}?"),
        chatter=(
            "Petrol prices are daylight robbery.",
            "The roadworks on the ring road are still there.",
        ),
    ),
    Topic(
        "gig",
        _v(
            "band=the Lumen Brothers|venue=the Corn Exchange|q=the sibling band",
            "band=Harper Vale|venue=a tiny pub in Camden|q=the folk singer",
            "band=Static Orchard|venue=the old boxing hall|q=the indie group",
            "band=the Kilnworth Choir|venue=the cathedral|q=the choral concert",
            "band=DJ Marrowbone|venue=a warehouse by the canal|q=the club night",
        ),
        ("Did you manage to get tickets in the end?", "Was the concert worth the money?"),
        ("We saw {band} at {venue} {when}, right at the front. My ears are still ringing.",),
        ("{when} we went to see {band} at {venue}. Best night out in ages.",),
        ("I'm so jealous, they never play near me.", "Did you get a T-shirt?"),
        (
            "Where did {name} watch {q} perform?",
            "Which act did {name} see live at {venue}?",
            "Where did {name} see {band}?",
        ),
        ("When did {name} go to see {q}?", "When did {name} see {band}?"),
        list_question="Which live music has {name} been to?",
        chatter=("The tickets for the summer festival sold out in ten minutes.",),
    ),
    Topic(
        "volunteer",
        _v(
            "org=the food bank on Station Road|task=sorting tins",
            "org=the animal sanctuary|task=mucking out the goats",
            "org=a homework club for refugee kids|task=helping with maths",
            "org=the community garden|task=building raised beds",
            "org=the hospice charity shop|task=pricing donated books",
        ),
        ("How did the first shift go?", "Are you still doing the Saturday helping-out thing?"),
        ("Really good! It's {org}, mostly {task}. My first one was {when}.",),
        ("I've started helping at {org} on Saturdays, mostly {task}. Did my first shift {when}.",),
        ("That's lovely, they're lucky to have you.", "I should really do something like that."),
        (
            "Where does {name} give time for free?",
            "What unpaid work has {name} taken on?",
            "What does {name} do at {org}?",
        ),
        ("When did {name} begin volunteering?", "When was {name}'s first shift at {org}?"),
        chatter=("There was a collection for the food bank at the supermarket today.",),
    ),
    Topic(
        "engaged",
        _v(
            "partner=Sam|place=on the beach at sunset",
            "partner=Alex|place=on top of Arthur's Seat",
            "partner=Jordan|place=in the restaurant where we had our first date",
            "partner=Robin|place=halfway round the Ferris wheel",
            "partner=Kit|place=at the top of the lighthouse",
        ),
        ("Wait, is that a ring in your photo?!", "Why are you smiling like that?"),
        ("It is! {partner} proposed {when}, {place}. I cried, obviously.",),
        ("Big news: {partner} asked me to marry them {when}, {place}, and I said yes!",),
        ("I'm screaming! Congratulations!", "Finally! I knew it."),
        (
            "Where did {name}'s partner pop the question?",
            "Who is {name} going to wed?",
            "Where did {partner} propose to {name}?",
        ),
        ("When did {name} get engaged?", "When did {partner} propose to {name}?"),
        chatter=("Weddings cost a fortune now, my cousin's was like buying a car.",),
    ),
    Topic(
        "birthday",
        _v(
            "age=thirty|party=a picnic in the park with far too much cake",
            "age=forty|party=a karaoke booth and a lot of terrible singing",
            "age=thirty-five|party=a quiet dinner at the Thai place",
            "age=twenty-nine|party=a ceilidh in the village hall",
            "age=fifty|party=a surprise party my sister organised",
        ),
        ("Happy belated birthday! What did you get up to?", "How was the big day?"),
        ("Thank you! I turned {age} {when}, and we had {party}.",),
        ("{when} I turned {age}! We had {party}.",),
        ("Happy birthday, you legend!", "Sorry I missed it, drinks on me next time."),
        (
            "How did {name} celebrate getting a year older?",
            "How old is {name} now?",
            "What did {name} do after turning {age}?",
        ),
        ("When is {name}'s birthday?", "When did {name} turn {age}?"),
    ),
    Topic(
        "decorating",
        _v(
            "room=the kitchen|colour=a deep forest green",
            "room=the bedroom|colour=a dusty pink",
            "room=the hallway|colour=a bright mustard yellow",
            "room=the bathroom|colour=navy blue",
            "room=the living room|colour=a warm terracotta",
        ),
        ("Did the decorating get done in the end?", "How's the DIY project coming along?"),
        ("Finally done: {room} is {colour} now, we finished {when}.",),
        ("We repainted {room} {when}, went for {colour}. Bold, but I love it.",),
        ("Photos please!", "Brave choice, I'm here for it."),
        (
            "What shade did {name} pick for the walls?",
            "Which part of the home did {name} redo?",
            "What colour is {room} at {name}'s place now?",
        ),
        ("When did {name} finish the redecoration?", "When did {name} repaint {room}?"),
        chatter=("Our landlord still hasn't fixed the damp patch.",),
    ),
    Topic(
        "instrument",
        _v(
            "instrument=the ukulele|song=Dream a Little Dream",
            "instrument=the cello|song=the Bach prelude",
            "instrument=the piano|song=Clair de Lune",
            "instrument=the drums|song=Seven Nation Army",
            "instrument=the banjo|song=Cripple Creek",
        ),
        ("How's the music practice going?", "Are you still at that instrument every night?"),
        (
            "Getting there! I'm on {instrument} every evening, and {song} finally sounds like a song.",
        ),
        ("I've been playing {instrument} every night. I can get through {song} without stopping!",),
        ("Concert next time I visit, I insist.", "The neighbours must love you."),
        (
            "What is {name} teaching {refl} to play?",
            "Which tune can {name} perform now?",
            "Which song can {name} play on {instrument}?",
        ),
    ),
    Topic(
        "lost",
        _v(
            "item=my wallet|where=on the number 12 bus|thing=wallet",
            "item=my grandad's watch|where=at the swimming pool|thing=watch",
            "item=my laptop|where=in a cafe on the high street|thing=laptop",
            "item=my passport|where=at the airport|thing=passport",
            "item=the car keys|where=in the supermarket trolley|thing=car keys",
        ),
        ("You sounded stressed earlier, everything OK?", "What was that panicked message about?"),
        ("I left {item} {where} {when}, panicked for hours, and then someone handed it in!",),
        ("{when} I left {item} {where}. A stranger handed it in, faith in humanity restored.",),
        ("Phew! That's a lucky escape.", "People can be so kind."),
        (
            "What did {name} misplace?",
            "Where did {name} nearly lose something precious?",
            "Where did {name} leave {poss} {thing}?",
        ),
        ("When did {name} mislay something valuable?", "When did {name} lose {poss} {thing}?"),
    ),
    Topic(
        "study",
        _v(
            "subject=data science|college=the Open University",
            "subject=psychology|college=Birkbeck",
            "subject=garden design|college=the horticultural college",
            "subject=accountancy|college=the college on Park Lane",
            "subject=marine biology|college=the university by the harbour",
        ),
        ("Did you hear back about the application?", "Are you going back to uni then?"),
        ("I got in! Part-time {subject} at {college}, the induction was {when}.",),
        ("I've enrolled in part-time {subject} at {college}. Induction was {when}.",),
        ("Look at you, a student again!", "That's going to be so good for you."),
        (
            "What is {name} studying?",
            "Which institution is {name} attending?",
            "Where is {name} studying {subject}?",
        ),
        ("When did {name} start the degree?", "When did {name} start studying {subject}?"),
    ),
)
