"""The Italian words the generated dataset is made of."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    name: str
    province: str
    postcode: str
    phone_prefix: str
    cadastral_code: str


CITIES: tuple[City, ...] = (
    City("Milano", "MI", "20121", "02", "F205"),
    City("Bergamo", "BG", "24121", "035", "A794"),
    City("Brescia", "BS", "25121", "030", "B157"),
    City("Como", "CO", "22100", "031", "C933"),
    City("Monza", "MB", "20900", "039", "F704"),
    City("Varese", "VA", "21100", "0332", "L682"),
    City("Torino", "TO", "10121", "011", "L219"),
    City("Genova", "GE", "16121", "010", "D969"),
    City("Verona", "VR", "37121", "045", "L781"),
    City("Padova", "PD", "35121", "049", "G224"),
    City("Venezia", "VE", "30121", "041", "L736"),
    City("Treviso", "TV", "31100", "0422", "L407"),
    City("Vicenza", "VI", "36100", "0444", "L840"),
    City("Udine", "UD", "33100", "0432", "L483"),
    City("Trento", "TN", "38121", "0461", "L378"),
    City("Bologna", "BO", "40121", "051", "A944"),
    City("Modena", "MO", "41121", "059", "F257"),
    City("Parma", "PR", "43121", "0521", "G337"),
    City("Reggio Emilia", "RE", "42121", "0522", "H223"),
    City("Rimini", "RN", "47921", "0541", "H294"),
    City("Firenze", "FI", "50121", "055", "D612"),
    City("Pisa", "PI", "56121", "050", "G702"),
    City("Ancona", "AN", "60121", "071", "A271"),
    City("Perugia", "PG", "06121", "075", "G478"),
    City("Roma", "RM", "00118", "06", "H501"),
    City("Pescara", "PE", "65121", "085", "G482"),
    City("Napoli", "NA", "80121", "081", "F839"),
    City("Bari", "BA", "70121", "080", "A662"),
    City("Lecce", "LE", "73100", "0832", "E506"),
    City("Palermo", "PA", "90121", "091", "G273"),
    City("Catania", "CT", "95121", "095", "C351"),
    City("Cagliari", "CA", "09121", "070", "B354"),
)

SURNAMES = (
    "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
    "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano",
    "Rizzo", "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro", "Mariani", "Rinaldi",
    "Caruso", "Ferrara", "Galli", "Martini", "Leone", "Longo", "Gentile", "Martinelli",
    "Vitale", "Lombardo", "Serra", "Coppola", "De Santis", "D'Angelo", "Marchetti", "Parisi",
    "Villa", "Conte", "Ferraro", "Ferri", "Fabbri", "Bianco", "Marini", "Grasso", "Valentini",
)  # fmt: skip

MALE_FIRST_NAMES = (
    "Marco", "Giuseppe", "Luca", "Andrea", "Francesco", "Alessandro", "Matteo", "Paolo",
    "Giovanni", "Stefano", "Roberto", "Davide", "Simone", "Fabio", "Massimo",
)  # fmt: skip

FEMALE_FIRST_NAMES = (
    "Maria", "Anna", "Giulia", "Francesca", "Chiara", "Sara", "Laura", "Valentina", "Elena",
    "Silvia",
)  # fmt: skip

TRADES = (
    "Ferramenta", "Edilizia", "Colorificio", "Idraulica", "Elettroforniture", "Termoidraulica",
    "Falegnameria", "Serramenti", "Autofficina", "Agraria", "Carpenteria", "Impianti",
    "Costruzioni", "Forniture Industriali", "Casalinghi", "Giardinaggio", "Materiali Edili",
)  # fmt: skip

LEGAL_FORMS = ("S.r.l.", "S.r.l.", "S.r.l.", "S.p.A.", "S.n.c.", "S.a.s.", "S.r.l.s.")

STREET_KINDS = ("Via", "Via", "Via", "Viale", "Piazza", "Corso", "Largo")

STREETS = (
    "Roma", "Garibaldi", "Mazzini", "Cavour", "Dante Alighieri", "Vittorio Emanuele II",
    "XX Settembre", "IV Novembre", "Matteotti", "Verdi", "Marconi", "Leopardi", "dei Mille",
    "della Repubblica", "Kennedy", "Gramsci", "San Francesco", "Manzoni", "Diaz", "Carducci",
    "dell'Industria", "dell'Artigianato", "Milano", "Torino", "Venezia",
)  # fmt: skip

PRODUCT_GROUPS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # group: (articles, sizes, finishes)
    "VITERIA": (
        ("Vite truciolare", "Vite autofilettante", "Bullone testa esagonale",
         "Dado autobloccante", "Rondella piana", "Tassello in nylon", "Rivetto a strappo"),
        ("3x16", "3,5x25", "4x30", "4x40", "5x50", "6x60", "8x80", "M6", "M8", "M10"),
        ("zincata", "inox A2", "inox A4", "brunita", "ottonata"),
    ),
    "UTENSILI": (
        ("Cacciavite a taglio", "Cacciavite a croce", "Martello da carpentiere", "Pinza universale",
         "Chiave combinata", "Seghetto per metalli", "Flessometro", "Livella a bolla", "Cutter"),
        ("piccolo", "medio", "grande", "8 mm", "10 mm", "13 mm", "3 m", "5 m", "60 cm"),
        ("professionale", "cromo vanadio", "impugnatura bimateriale", "serie economica"),
    ),
    "ELETTRICO": (
        ("Cavo unipolare", "Interruttore", "Presa schuko", "Lampadina LED", "Nastro isolante",
         "Morsetto a leva", "Scatola di derivazione", "Prolunga"),
        ("1,5 mm²", "2,5 mm²", "10 A", "16 A", "9 W", "12 W", "5 m", "10 m"),
        ("bianco", "nero", "grigio", "luce calda", "luce fredda", "IP55"),
    ),
    "IDRAULICA": (
        ("Raccordo a gomito", "Tubo multistrato", "Valvola a sfera", "Rubinetto a squadra",
         "Guarnizione piana", "Manicotto", "Sifone"),
        ('1/2"', '3/4"', '1"', "16x2", "20x2", "26x3"),
        ("ottone", "ottone cromato", "PVC", "acciaio"),
    ),
    "VERNICI": (
        ("Smalto sintetico", "Idropittura traspirante", "Fondo antiruggine", "Diluente nitro",
         "Pennello piatto", "Rullo in microfibra", "Impregnante per legno"),
        ("0,75 l", "2,5 l", "5 l", "14 l", "30 mm", "50 mm", "22 cm"),
        ("bianco", "grigio", "noce", "trasparente", "verde bosco", "rosso ossido"),
    ),
    "EDILIZIA": (
        ("Silicone acetico", "Schiuma poliuretanica", "Stucco in polvere", "Colla per piastrelle",
         "Malta premiscelata", "Guaina liquida"),
        ("280 ml", "750 ml", "1 kg", "5 kg", "25 kg"),
        ("trasparente", "bianco", "grigio", "rapido", "flessibile"),
    ),
}  # fmt: skip

ORDER_STATES_OPEN = ("inserito", "confermato", "in_preparazione")
CARRIERS = ("BRT", "GLS", "SDA", "TNT", "DHL", "Poste Italiane", "Mezzo proprio")
