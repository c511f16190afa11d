"""Vocabularies of the FitZoneGym generator: names, places, activities, products, texts.

Plain data, written for this project. No entry contains a double quote or a backslash, because
some of them are embedded in JSON text as they are (a test checks it).
"""

from __future__ import annotations

import unicodedata

FEMALE_FIRST_NAMES = (
    "Camille Léa Manon Chloé Emma Inès Jade Louise Alice Lina Sarah Juliette Zoé Clara Anaïs "
    "Mathilde Pauline Marion Laura Julie Élodie Céline Aurélie Émilie Charlotte Lucie Margaux Océane "
    "Agathe Noémie Lola Elsa Romane Maëlys Justine Audrey Sophie Nathalie Isabelle Sandrine Valérie "
    "Claire Hélène Anne Marie Fatima Amina Yasmine Leila Nadia Sofia Giulia Ana Hanna Eva Olivia "
    "Mia Nina Ines Maya Rose Victoria Lisa Laetitia Stéphanie Virginie Caroline Amandine Gaëlle "
    "Morgane Solène Coralie Estelle Fanny Mélanie Priscilla Salomé Capucine Apolline Héloïse Nour"
).split()

MALE_FIRST_NAMES = (
    "Lucas Hugo Louis Gabriel Arthur Jules Adam Raphaël Léo Nathan Théo Tom Paul Ethan Noah "
    "Maxime Antoine Alexandre Thomas Nicolas Julien Romain Guillaume Sébastien Kevin Florian "
    "Quentin Benjamin Clément Mathieu Pierre Vincent Olivier Laurent Christophe Stéphane Frédéric "
    "Philippe Jérôme David Mehdi Karim Youssef Omar Bilal Rayan Samir Luca Marco Diego Pablo Jonas "
    "Lukas Finn Oscar Victor Baptiste Aurélien Damien Fabien Grégory Loïc Cédric Yann Erwan Malo "
    "Timothée Gaspard Côme Augustin Valentin Tristan Matthias Axel Enzo Killian Dylan Sacha Ilyès"
).split()

NEUTRAL_FIRST_NAMES = "Alex Sam Charlie Camille Dominique Claude Sasha Morgan Noa Eden".split()

LAST_NAMES = (
    (
        "Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel Lefèbvre "
        "Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent "
        "Müller Lefèvre Faure André Mercier Blanc Guérin Boyer Garnier Chevalier François Legrand "
        "Gauthier Garcia Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu Gautier Masson "
        "Marchand Duval Denis Dumont Marie Lemaire Noël Meyer Dufour Meunier Brun Blanchard Giraud "
        "Joly Rivière Lucas Brunet Gaillard Barbier Arnaud Martínez Gérard Roche Renard Schmitt Roy "
        "Leroux Colin Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud Dumas Lacroix Olivier "
        "Philippe Bourgeois Pierre Benoît Rey Leclerc Payet Rolland Leclercq Guillaume Lecomte López "
        "Jean Dupuy Guillot Hubert Berger Carpentier Sánchez Dupuis Moulin Louis Deschamps Huet "
        "Vasseur Perez Boucher Fleury Royer Klein Jacquet Adam Paris Poirier Marty Aubry Guyot "
        "Carré Charles Renault Charpentier Ménard Maillard Baron Bertin Bailly Hervé Schneider "
        "Fernández Le Gall Collet Léger Bouvier Julien Prévost Millet Perrot Daniel Le Roux Cousin "
        "Germain Breton Besson Langlois Rémy Le Goff Pelletier Lévêque Perrier Leblanc Barré Lebrun "
        "Marchal Weber Mallet Hamon Boulanger Jacob Monnier Michaud Rodríguez Guichard Gillet Étienne "
        "Grondin Poulain Tessier Chevallier Collin Chauvin Da Silva Bouchet Gay Lemaître Bénard "
        "Maréchal Benali Haddad Nguyen Tran Diallo Traoré Kone Cohen Rossi Ferreira Dos Santos Öztürk"
    )
    .replace("Le ", "Le_")
    .replace("Da ", "Da_")
    .replace("Dos ", "Dos_")
    .split()
)
LAST_NAMES = tuple(name.replace("_", " ") for name in LAST_NAMES)


def ascii_slug(text: str) -> str:
    """Lower-case ASCII form for e-mail addresses: ``"Léa Müller"`` → ``"lea-muller"``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join(plain.lower().replace("'", "").split())


#: (city, postal code, country code, time zone, phone prefix, latitude, longitude)
CITIES = (
    ("Paris", "75011", "FR", "Europe/Paris", "+33 6", 48.8589, 2.3800),
    ("Paris", "75015", "FR", "Europe/Paris", "+33 6", 48.8412, 2.3003),
    ("Lyon", "69003", "FR", "Europe/Paris", "+33 6", 45.7597, 4.8590),
    ("Marseille", "13008", "FR", "Europe/Paris", "+33 6", 43.2568, 5.3855),
    ("Toulouse", "31000", "FR", "Europe/Paris", "+33 6", 43.6045, 1.4440),
    ("Nice", "06000", "FR", "Europe/Paris", "+33 6", 43.7009, 7.2683),
    ("Nantes", "44000", "FR", "Europe/Paris", "+33 6", 47.2184, -1.5536),
    ("Strasbourg", "67000", "FR", "Europe/Paris", "+33 6", 48.5734, 7.7521),
    ("Montpellier", "34000", "FR", "Europe/Paris", "+33 6", 43.6108, 3.8767),
    ("Bordeaux", "33000", "FR", "Europe/Paris", "+33 6", 44.8378, -0.5792),
    ("Lille", "59000", "FR", "Europe/Paris", "+33 6", 50.6292, 3.0573),
    ("Rennes", "35000", "FR", "Europe/Paris", "+33 6", 48.1173, -1.6778),
    ("Grenoble", "38000", "FR", "Europe/Paris", "+33 6", 45.1885, 5.7245),
    ("Dijon", "21000", "FR", "Europe/Paris", "+33 6", 47.3220, 5.0415),
    ("Annecy", "74000", "FR", "Europe/Paris", "+33 6", 45.8992, 6.1294),
    ("Brussels", "1050", "BE", "Europe/Brussels", "+32 4", 50.8333, 4.3667),
    ("Liège", "4000", "BE", "Europe/Brussels", "+32 4", 50.6326, 5.5797),
    ("Geneva", "1201", "CH", "Europe/Zurich", "+41 7", 46.2044, 6.1432),
    ("Lausanne", "1003", "CH", "Europe/Zurich", "+41 7", 46.5197, 6.6323),
    ("Luxembourg", "1111", "LU", "Europe/Luxembourg", "+352 6", 49.6116, 6.1319),
)


STREETS = (
    "rue de la République",
    "avenue Jean Jaurès",
    "boulevard Voltaire",
    "rue Victor Hugo",
    "rue du Faubourg Saint-Antoine",
    "avenue de la Gare",
    "rue des Lilas",
    "place du Marché",
    "quai des Docks",
    "rue Pasteur",
    "allée des Sports",
    "rue de Verdun",
    "avenue du Général Leclerc",
    "rue Nationale",
    "chemin des Vignes",
    "boulevard de la Liberté",
    "rue Émile Zola",
    "avenue des Champs",
    "rue du Moulin",
    "impasse des Tilleuls",
)

EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "inbox.example")
STAFF_EMAIL_DOMAIN = "fitzonegym.example"

AMENITIES = (
    ("sauna", "Sauna"),
    ("hammam", "Hammam"),
    ("pool", "Swimming pool"),
    ("parking", "Free parking"),
    ("showers", "Showers"),
    ("lockers", "Lockers"),
    ("wifi", "Wi-Fi"),
    ("kids-club", "Kids club"),
    ("juice-bar", "Juice bar"),
    ("towels", "Towel service"),
    ("bike-rack", "Bike rack"),
    ("physio", "Physiotherapy room"),
)

#: (room name, capacity, bookable)
ROOMS = (
    ("Studio A", 30, True),
    ("Studio B", 24, True),
    ("Cycling studio", 28, True),
    ("Yoga room", 20, True),
    ("Functional zone", 16, True),
    ("Boxing ring", 12, True),
    ("Aquatic pool", 25, True),
    ("Cardio floor", 60, False),
    ("Free weights", 40, False),
    ("Stretching area", 15, False),
)

TAGS = (
    ("vip", "#d4af37"),
    ("student", "#1e88e5"),
    ("senior", "#8e24aa"),
    ("corporate", "#3949ab"),
    ("new-member", "#43a047"),
    ("at-risk", "#e53935"),
    ("referral", "#fb8c00"),
    ("early-bird", "#fdd835"),
    ("night-owl", "#5e35b1"),
    ("competitor", "#00897b"),
    ("rehab", "#6d4c41"),
    ("family", "#f06292"),
    ("ambassador", "#00acc1"),
    ("pt-client", "#7cb342"),
    ("promo-2025", "#c0ca33"),
    ("influencer", "#ff7043"),
)

#: (slug, name, level, duration minutes, MET, description)
ACTIVITIES = (
    ("hatha-yoga", "Hatha Yoga", "ALL_LEVELS", 60, 2.5, "Slow postures and breathing."),
    (
        "vinyasa-yoga",
        "Vinyasa Flow",
        "INTERMEDIATE",
        60,
        4.0,
        "Dynamic yoga linking breath and movement.",
    ),
    ("pilates-mat", "Pilates Mat", "ALL_LEVELS", 45, 3.0, "Core strength and posture on the mat."),
    ("indoor-cycling", "Indoor Cycling", "ALL_LEVELS", 45, 8.5, "Rhythm ride on stationary bikes."),
    ("body-pump", "Body Pump", "INTERMEDIATE", 55, 6.0, "Barbell workout to music."),
    ("hiit", "HIIT 30", "ADVANCED", 30, 8.0, "High-intensity intervals, short and hard."),
    ("zumba", "Zumba", "BEGINNER", 60, 6.5, "Latin dance cardio party."),
    ("boxing", "Boxing Fit", "INTERMEDIATE", 60, 7.8, "Pad work, footwork and conditioning."),
    (
        "cross-training",
        "Cross Training",
        "ADVANCED",
        60,
        8.0,
        "Functional circuits with kettlebells and rowers.",
    ),
    ("aqua-gym", "Aqua Gym", "BEGINNER", 45, 4.0, "Low-impact workout in the pool."),
    ("stretching", "Stretching", "ALL_LEVELS", 30, 2.3, "Mobility and flexibility."),
    ("abs-core", "Abs and Core", "ALL_LEVELS", 30, 3.8, "Thirty minutes for a stronger core."),
    ("step", "Step", "BEGINNER", 45, 7.0, "Choreographed cardio on a step."),
    ("body-combat", "Body Combat", "INTERMEDIATE", 55, 7.5, "Martial-arts inspired cardio."),
    ("kettlebell", "Kettlebell", "INTERMEDIATE", 45, 6.0, "Swings, cleans and presses."),
    ("trx", "TRX Suspension", "INTERMEDIATE", 45, 5.5, "Bodyweight training with straps."),
    ("senior-fit", "Senior Fit", "BEGINNER", 45, 3.0, "Balance and strength for over-60s."),
    ("prenatal-yoga", "Prenatal Yoga", "BEGINNER", 60, 2.5, "Gentle yoga for expecting mothers."),
    ("bootcamp", "Outdoor Bootcamp", "ADVANCED", 60, 8.0, "Group training in the park."),
    ("mobility", "Mobility Lab", "ALL_LEVELS", 30, 2.5, "Joint mobility drills."),
    ("dance-cardio", "Dance Cardio", "BEGINNER", 45, 6.0, "Easy choreographies, lots of sweat."),
    ("power-yoga", "Power Yoga", "ADVANCED", 75, 4.5, "Strong standing sequences."),
    ("rowing", "Rowing Intervals", "INTERMEDIATE", 40, 7.0, "Intervals on the rowing machines."),
    ("aqua-bike", "Aqua Bike", "ALL_LEVELS", 45, 5.0, "Cycling in the pool."),
)

JOB_TITLES = (
    "Club manager",
    "Front desk",
    "Coach",
    "Personal trainer",
    "Technician",
    "Sales advisor",
    "Cleaner",
)
#: job title index → share of a club's staff (after the manager)
JOB_WEIGHTS = (0.0, 0.2, 0.3, 0.12, 0.08, 0.15, 0.15)
TRAINER_JOBS = (2, 3)
TECHNICIAN_JOB = 4
SHIFT_POSITIONS = {
    0: "management",
    1: "front desk",
    2: "floor",
    3: "coaching",
    4: "maintenance",
    5: "sales",
    6: "cleaning",
}

CERTIFICATIONS = (
    "BPJEPS AF",
    "BPJEPS AGFF",
    "DEUST Métiers de la forme",
    "CrossFit L2",
    "Les Mills Body Pump",
    "Yoga Alliance RYT-200",
    "STAPS Licence",
    "NASM CPT",
    "Pilates Mat Level 2",
)

BIO_OPENINGS = (
    "Former competitive swimmer,",
    "Passionate about functional training,",
    "Certified coach for ten years,",
    "Ex-rugby player,",
    "Yoga teacher trained in Rishikesh,",
    "Dancer turned fitness coach,",
    "Physiotherapy graduate,",
)
BIO_ENDINGS = (
    " I help members build strength safely.",
    " my classes are intense but fun.",
    " I love helping beginners find their rhythm.",
    " I specialise in injury prevention.",
    " I focus on technique before load.",
    " ask me about nutrition and recovery.",
)

INJURIES = (
    "lower back pain",
    "knee (ACL)",
    "shoulder tendinitis",
    "ankle sprain",
    "tennis elbow",
    "hip replacement",
    "asthma",
    "hernia",
    "wrist fracture",
    "neck stiffness",
)

PREFERRED_TIMES = ("early-morning", "lunch", "afternoon", "evening", "weekend")
GOAL_TYPES = (
    # (title, metric, low target, high target, decimals)
    ("Lose weight", "weight_kg", 55.0, 95.0, 1),
    ("Run 10 km", "run_10k_minutes", 45.0, 70.0, 0),
    ("Bench press", "bench_press_kg", 40.0, 120.0, 0),
    ("Lower body fat", "body_fat_pct", 12.0, 30.0, 1),
    ("Classes per week", "classes_per_week", 2.0, 5.0, 0),
    ("Plank hold", "plank_seconds", 60.0, 300.0, 0),
    ("Resting heart rate", "resting_bpm", 50.0, 70.0, 0),
)

NOTE_OPENINGS = (
    "Called about",
    "Member asked about",
    "Front desk note:",
    "Discussed",
    "Follow-up on",
    "Complaint regarding",
    "Compliment about",
)
NOTE_TOPICS = (
    " freezing the membership for two months",
    " the price increase",
    " a broken locker in the changing room",
    " switching to the premium plan",
    " personal training sessions",
    " a late payment",
    " the new cycling studio",
    " parking availability in the evening",
    " a medical certificate",
    " the kids club opening hours",
)
NOTE_ENDINGS = (
    ".",
    ". To be followed up.",
    ". Resolved.",
    ". Manager informed.",
    ". Waiting for the member.",
)

DOCUMENT_KINDS = {
    "CONTRACT": ("contract", "application/pdf", 0.35),
    "MEDICAL_CERTIFICATE": ("medical-certificate", "application/pdf", 0.25),
    "ID_CARD": ("id-card", "image/jpeg", 0.15),
    "WAIVER": ("waiver", "application/pdf", 0.15),
    "OTHER": ("attachment", "image/png", 0.10),
}

#: (code, name, billing period, price cents, setup fee cents, months, class credits or None, all clubs)
PLANS = (
    ("BASIC-M", "Basic monthly", "MONTHLY", 2990, 1990, 12, 4, False),
    ("PREMIUM-M", "Premium monthly", "MONTHLY", 4990, 0, 12, None, True),
    ("STUDENT-M", "Student monthly", "MONTHLY", 2490, 0, 12, 8, False),
    ("FLEX-M", "Flex monthly, no commitment", "MONTHLY", 3990, 2990, 1, 4, False),
    ("QUARTER", "Quarterly pass", "QUARTERLY", 11490, 0, 3, None, False),
    ("ANNUAL-BASIC", "Annual basic, paid upfront", "YEARLY", 29900, 0, 12, 4, False),
    ("ANNUAL-PREMIUM", "Annual premium, paid upfront", "YEARLY", 49900, 0, 12, None, True),
    ("SENIOR-M", "Senior monthly", "MONTHLY", 2290, 0, 12, 8, False),
    ("CARD-10", "10-class card", "ONE_OFF", 12000, 0, 6, 10, False),
    ("DAY-PASS", "Day pass", "ONE_OFF", 1500, 0, 1, 1, False),
)
#: plan index → relative popularity
PLAN_WEIGHTS = (0.30, 0.22, 0.09, 0.08, 0.06, 0.08, 0.05, 0.05, 0.04, 0.03)
CLUB_PLAN = ("OFFPEAK", "Off-peak", "MONTHLY", 1990, 990, 12, 4, False)

COUPON_WORDS = (
    "WELCOME",
    "SUMMER",
    "NEWYEAR",
    "FRIEND",
    "STUDENT",
    "BLACKFRIDAY",
    "SPRING",
    "CORPO",
    "REOPEN",
    "COMEBACK",
)
CANCEL_REASONS = (
    "Moving to another city",
    "Too expensive",
    "Health reasons",
    "Not enough time",
    "Unhappy with the service",
    "Switched to another gym",
    "Pregnancy",
    "Unpaid invoices",
)
FAILURE_REASONS = (
    "card_declined",
    "insufficient_funds",
    "expired_card",
    "sepa_mandate_revoked",
    "do_not_honor",
)
CARD_BRANDS = ("visa", "mastercard", "amex", "cb")
SESSION_CANCEL_REASONS = (
    "Trainer ill",
    "Room maintenance",
    "Low attendance",
    "Public holiday",
    "Power outage",
)
BOOKING_SOURCES = ("app", "web", "front_desk", "kiosk")
BOOKING_SOURCE_WEIGHTS = (0.62, 0.2, 0.12, 0.06)

USER_AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 FitZoneApp/4.2.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Mobile Safari/537.36 FitZoneApp/4.2.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "FitZoneKiosk/1.8 (front-desk tablet)",
)

REVIEW_COMMENTS = (
    "Great energy, I will come back!",
    "Too crowded tonight.",
    "The coach explained every move clearly.",
    "Music was too loud.",
    "Perfect class after work.",
    "Hard but rewarding.",
    "Started ten minutes late.",
    "Best instructor in the club.",
    "The room was too hot.",
    "Nice mix of cardio and strength.",
)

#: (name, brand choices, low price cents, high price cents, cardio machine, room kinds it goes to)
EQUIPMENT = (
    ("Treadmill", ("Technogym", "Life Fitness", "Matrix"), 350000, 900000, True),
    ("Elliptical trainer", ("Technogym", "Precor", "Matrix"), 250000, 600000, True),
    ("Rowing machine", ("Concept2", "WaterRower"), 90000, 160000, True),
    ("Spin bike", ("Keiser", "Schwinn", "Technogym"), 120000, 250000, True),
    ("Air bike", ("Assault", "Rogue"), 80000, 140000, True),
    ("Leg press", ("Hammer Strength", "Technogym"), 400000, 800000, False),
    ("Cable crossover", ("Life Fitness", "Matrix"), 300000, 650000, False),
    ("Smith machine", ("Hammer Strength", "Matrix"), 250000, 500000, False),
    ("Dumbbell rack", ("Eleiko", "Rogue"), 80000, 300000, False),
    ("Squat rack", ("Eleiko", "Rogue"), 100000, 250000, False),
    ("Kettlebell set", ("Eleiko", "Rogue", "Decathlon"), 20000, 90000, False),
    ("Boxing bag", ("Everlast", "Venum"), 15000, 45000, False),
)
MAINTENANCE_KINDS = ("preventive", "corrective", "inspection", "cleaning")
MAINTENANCE_TEXT = (
    "Belt tension adjusted and deck lubricated.",
    "Replaced worn cable and pulleys.",
    "Annual safety inspection passed.",
    "Console firmware updated.",
    "Seat adjustment lever repaired.",
    "Deep clean and disinfection.",
    "Replaced the drive belt.",
    "Calibrated the resistance sensor.",
)

#: (category, VAT rate, product stems, variants, low price cents, high price cents)
PRODUCTS = (
    (
        "supplements",
        0.055,
        ("Whey protein", "Vegan protein", "Creatine", "BCAA", "Pre-workout"),
        ("vanilla 1 kg", "chocolate 1 kg", "strawberry 500 g", "neutral 500 g"),
        1490,
        5490,
    ),
    (
        "drinks",
        0.055,
        ("Isotonic drink", "Protein shake", "Sparkling water", "Energy drink"),
        ("33 cl", "50 cl", "lemon", "berries"),
        150,
        450,
    ),
    (
        "snacks",
        0.055,
        ("Protein bar", "Oat bar", "Nut mix"),
        ("chocolate", "peanut", "salted caramel", "coconut"),
        190,
        390,
    ),
    (
        "apparel",
        0.2,
        ("FitZone T-shirt", "Training shorts", "Hoodie", "Leggings", "Socks"),
        ("S", "M", "L", "XL"),
        990,
        5990,
    ),
    (
        "accessories",
        0.2,
        (
            "Shaker",
            "Gym towel",
            "Padlock",
            "Lifting gloves",
            "Jump rope",
            "Yoga mat",
            "Water bottle",
        ),
        ("black", "blue", "pink", "grey"),
        490,
        3990,
    ),
)

MESSAGE_SUBJECTS = (
    "Your training plan",
    "Welcome to FitZoneGym",
    "About your membership",
    "Class schedule change",
    "Personal training session",
    "Question about my invoice",
    "Locker key",
    None,
)
MESSAGE_BODIES = (
    "Hello, here is the plan we discussed: three sessions a week, focus on legs and core.",
    "Thanks for joining us! Your first personal session is included, book it from the app.",
    "Your membership renews next month. Let us know if you want to change plans.",
    "Tuesday's class moves to Studio B from next week.",
    "Can we move our session to Thursday 18:00?",
    "I was charged twice this month, could you check?",
    "I left my locker key at the front desk, sorry!",
    "Great job today, keep the same intensity next week.",
    "See you tomorrow at 7:00.",
    "Could you send me the nutrition guide?",
)

#: (kind, title, body, channel weights EMAIL/SMS/PUSH/IN_APP)
NOTIFICATIONS = (
    (
        "booking_reminder",
        "Class tomorrow",
        "Your class starts tomorrow. See you there!",
        (0.1, 0.1, 0.6, 0.2),
    ),
    (
        "payment_failed",
        "Payment failed",
        "We could not collect your last payment. Please update your card.",
        (0.6, 0.3, 0.05, 0.05),
    ),
    (
        "invoice_issued",
        "New invoice",
        "Your invoice is available in your account.",
        (0.8, 0.0, 0.05, 0.15),
    ),
    (
        "waitlist_spot",
        "A spot opened up",
        "A spot is free in a class you waited for. Book it now.",
        (0.05, 0.15, 0.7, 0.1),
    ),
    (
        "promo",
        "This month at FitZoneGym",
        "New classes, new coaches: discover what is on.",
        (0.7, 0.0, 0.1, 0.2),
    ),
    (
        "goal_reached",
        "Goal reached!",
        "Congratulations, you reached one of your goals.",
        (0.1, 0.0, 0.5, 0.4),
    ),
)
