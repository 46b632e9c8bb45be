"""Intervention types and their procedures (*gammes opératoires*), in French.

Each item is a dict of ``ChecklistItem`` fields plus ``typical``: the usual answer, used by
the generator to fill past visits (a ``(low, high)`` range for numeric items, a value for
yes/no items). Meter items name an equipment ``Meter`` (see ``equipment.METERS``).
"""

from __future__ import annotations

HOURS, CYCLES, ENERGY, STARTS = (
    "Heures de fonctionnement",
    "Cycles brûleur",
    "Énergie produite",
    "Démarrages compresseur",
)


def check(label, explanation=""):
    return {"kind": "check", "label": label, "explanation": explanation}


def yes_no(label, explanation="", typical="yes", required=True):
    return {
        "kind": "yes_no_na",
        "label": label,
        "explanation": explanation,
        "typical": typical,
        "required": required,
    }


def numeric(label, unit, lo, hi, typical, explanation="", required=True):
    return {
        "kind": "numeric",
        "label": label,
        "unit": unit,
        "min_value": lo,
        "max_value": hi,
        "typical": typical,
        "explanation": explanation,
        "required": required,
    }


def meter(meter_name, required=True):
    return {
        "kind": "meter",
        "label": f"Relevé « {meter_name} »",
        "meter_name": meter_name,
        "required": required,
        "explanation": "Lire le compteur sur l'afficheur de l'appareil.",
    }


def text(label, explanation="", required=False):
    return {"kind": "text", "label": label, "explanation": explanation, "required": required}


def choice(label, choices, explanation=""):
    return {"kind": "choice", "label": label, "choices": list(choices), "explanation": explanation}


def photo(label, explanation=""):
    return {"kind": "photo", "label": label, "explanation": explanation, "required": False}


ETAT_GENERAL = ("Bon", "Moyen", "À remplacer prochainement")
CO_AMBIANT = numeric(
    "CO ambiant",
    "ppm",
    0,
    20,
    (0, 6),
    "Au-delà de 20 ppm rechercher un refoulement ; au-delà de 50 ppm arrêter et aérer.",
)
PRESSION = numeric("Pression du circuit (à froid)", "bar", 1.0, 2.0, (1.1, 1.8))
CLOTURE = (
    "Compte rendu au client",
    "Expliquer au client ce qui a été constaté et fait, les points à surveiller et la suite à "
    "donner (nouvelle visite, devis, pièce à commander). Le client signe ensuite le rapport.",
    [choice("État général de l'installation", ETAT_GENERAL), text("Remarques pour le client")],
)

# code, label, default duration (min), preventive, equipment types it applies to
INTERVENTION_TYPES = [
    ("ENT-CHAU", "Entretien annuel chaudière", 90, True, ("boiler",)),
    ("DEP", "Dépannage", 120, False, ()),
    ("MES", "Mise en service", 180, False, ()),
    ("ENT-PAC", "Entretien pompe à chaleur / groupe froid", 120, True, ("heat_pump", "chiller")),
    ("CTL-CTA", "Contrôle CTA et ventilation", 90, True, ("air_handling_unit", "ventilation")),
    ("RAM", "Ramonage et contrôle combustion", 60, True, ("boiler",)),
    ("ENT-ECS", "Entretien chauffe-eau", 60, True, ("water_heater",)),
]

# type code -> (procedure code, name, equipment type, description, steps)
PROCEDURES = {
    "ENT-CHAU": (
        "GAM-ENT-CHAU",
        "Entretien annuel chaudière gaz / fioul",
        "boiler",
        "Entretien obligatoire des chaudières de 4 à 400 kW (arrêté du 15 septembre 2009).",
        [
            (
                "Accueil et sécurité",
                "Se présenter, repérer la chaudière, le compteur gaz et la coupure électrique. "
                "Vérifier "
                "l'absence d'odeur de gaz avant toute manipulation : en cas de doute, ne rien "
                "actionner "
                "d'électrique et fermer le gaz au compteur.",
                [
                    check("Occupant informé de l'intervention"),
                    yes_no("Odeur de gaz à l'arrivée", typical="no"),
                    CO_AMBIANT,
                ],
            ),
            (
                "Relevé des compteurs",
                "Relever les compteurs avant d'intervenir permet de suivre l'usure : beaucoup de "
                "cycles "
                "brûleur pour peu d'heures signale une chaudière surdimensionnée qui court-cycle.",
                [meter(HOURS), meter(CYCLES)],
            ),
            (
                "Mise en sécurité",
                "Couper l'alimentation électrique et fermer l'arrivée de combustible avant "
                "d'ouvrir. "
                "Laisser refroidir le corps de chauffe, dont les parois dépassent 60 °C après "
                "l'arrêt.",
                [check("Alimentation électrique coupée"), check("Arrivée de combustible fermée")],
            ),
            (
                "Nettoyage du corps de chauffe et du brûleur",
                "Démonter le brûleur, brosser et aspirer le foyer et l'échangeur. Un millimètre "
                "de suie "
                "augmente la consommation d'environ 5 % : c'est la première cause de perte de "
                "rendement.",
                [
                    choice("Encrassement de l'échangeur", ("Propre", "Léger", "Important")),
                    check("Échangeur brossé et aspiré"),
                    photo("Échangeur après nettoyage"),
                ],
            ),
            (
                "Allumage et gicleur",
                "Contrôler l'écartement et l'usure des électrodes d'allumage et d'ionisation : une "
                "électrode usée provoque ratés d'allumage et mises en sécurité. Sur brûleur fioul, "
                "remplacer le gicleur chaque année, sa pulvérisation se dégrade avec le temps.",
                [
                    numeric("Écartement des électrodes", "mm", 2.5, 4.0, (2.8, 3.6)),
                    yes_no("Gicleur remplacé (fioul)", typical="na"),
                ],
            ),
            (
                "Étanchéité",
                "Après remontage, contrôler l'étanchéité du circuit gaz au produit moussant ou au "
                "détecteur électronique. Une fuite impose l'arrêt immédiat de l'appareil.",
                [
                    yes_no("Fuite détectée sur le circuit gaz", typical="no"),
                    check("Joints de brûleur et de façade contrôlés"),
                ],
            ),
            (
                "Circuit hydraulique",
                "Sous 1 bar le circulateur peut désamorcer, au-dessus de 2,5 bar la soupape "
                "s'ouvre. "
                "Contrôler aussi la précharge du vase d'expansion, qui absorbe la dilatation de "
                "l'eau.",
                [
                    PRESSION,
                    numeric("Précharge du vase d'expansion", "bar", 0.5, 1.5, (0.7, 1.2)),
                    yes_no("Soupape de sécurité manœuvrée"),
                ],
            ),
            (
                "Remise en service et tirage",
                "Rouvrir le combustible, remettre sous tension et lancer la chaudière à pleine "
                "charge. "
                "Un tirage trop faible renvoie les fumées dans le local, trop fort il fait chuter "
                "le "
                "rendement (sans objet pour une ventouse).",
                [numeric("Tirage au conduit", "mbar", -0.3, -0.1, (-0.26, -0.11), required=False)],
            ),
            (
                "Analyse de combustion",
                "Analyser les fumées après 5 minutes à pleine charge. Un CO élevé traduit un "
                "mauvais "
                "réglage ou un manque d'air ; le rendement mesuré figure sur l'attestation.",
                [
                    numeric("Rendement de combustion", "%", 88, None, (89.5, 98.0)),
                    numeric("CO dans les fumées (non dilué)", "ppm", 0, 1000, (15, 180)),
                    numeric("Température des fumées", "°C", None, 220, (45, 170)),
                ],
            ),
            (
                "Contrôle de l'air ambiant",
                "Mesurer le CO dans la pièce, portes fermées, chaudière en marche, et vérifier les "
                "entrées et sorties d'air : une ventilation obstruée est la cause première des "
                "intoxications au monoxyde de carbone.",
                [
                    numeric("CO ambiant chaudière en marche", "ppm", 0, 20, (0, 7)),
                    yes_no("Ventilation du local conforme"),
                ],
            ),
            (
                "Régulation et sécurités",
                "Contrôler le thermostat, la sonde extérieure et les sécurités de surchauffe et de "
                "manque d'eau. Une régulation bien réglée est la première source d'économie.",
                [
                    check("Régulation et programmation vérifiées"),
                    numeric("Température de départ chauffage", "°C", 30, 80, (42, 68)),
                ],
            ),
            (
                "Attestation d'entretien",
                "Remettre l'attestation d'entretien sous 15 jours, avec le rendement, les "
                "émissions et "
                "les conseils d'amélioration, et expliquer les points constatés à l'occupant.",
                [
                    choice("État général de l'installation", ETAT_GENERAL),
                    text("Conseils donnés à l'occupant"),
                    photo("Plaque signalétique"),
                ],
            ),
        ],
    ),
    "DEP": (
        "GAM-DEP",
        "Dépannage — diagnostic et réparation",
        "",
        "Démarche de diagnostic commune à tous les équipements.",
        [
            (
                "Prise d'information",
                "Faire décrire la panne : depuis quand, dans quelles conditions, quel code "
                "défaut. Ces "
                "éléments orientent le diagnostic et évitent des démontages inutiles.",
                [
                    text("Symptômes décrits par le client", required=True),
                    text("Code défaut affiché"),
                ],
            ),
            (
                "Sécurité et relevés",
                "Vérifier l'absence d'odeur de gaz et de CO avant de toucher à l'appareil, puis "
                "relever "
                "le compteur horaire : il permet au siège de suivre l'usure de l'appareil.",
                [CO_AMBIANT, meter(HOURS, required=False)],
            ),
            (
                "Diagnostic",
                "Procéder du plus simple au plus complexe : alimentation électrique, combustible, "
                "pression d'eau, puis organes de sécurité et carte électronique. Noter les "
                "mesures qui "
                "justifient le remplacement d'une pièce.",
                [
                    choice(
                        "Origine de la panne",
                        (
                            "Alimentation électrique",
                            "Combustible",
                            "Hydraulique",
                            "Allumage / combustion",
                            "Régulation / carte électronique",
                            "Fluide frigorigène",
                            "Mécanique",
                            "Autre",
                        ),
                    ),
                    photo("Pièce défectueuse"),
                ],
            ),
            (
                "Réparation",
                "Remplacer l'organe défaillant par une pièce d'origine ou équivalente. Si la "
                "réparation "
                "n'est pas couverte par le contrat, établir un devis et le faire accepter avant.",
                [
                    check("Réparation effectuée ou appareil mis en sécurité"),
                    yes_no("Pièce remplacée"),
                    yes_no("Devis nécessaire", typical="no"),
                ],
            ),
            (
                "Essais",
                "Relancer l'appareil et le suivre sur au moins un cycle complet pour s'assurer "
                "que le "
                "défaut ne réapparaît pas.",
                [
                    check("Fonctionnement contrôlé sur un cycle complet"),
                    numeric("Pression du circuit", "bar", 1.0, 2.0, (1.1, 1.8), required=False),
                ],
            ),
            (
                "Clôture",
                "Expliquer au client l'origine de la panne et ce qui a été fait, et indiquer la "
                "suite "
                "à donner : commande de pièce, nouvelle visite ou devis.",
                [
                    choice(
                        "Appareil à la clôture", ("En service", "En service dégradé", "À l'arrêt")
                    ),
                    text("Remarques"),
                ],
            ),
        ],
    ),
    "MES": (
        "GAM-MES",
        "Mise en service d'un équipement neuf",
        "",
        "Première mise en route : conditionne la garantie constructeur.",
        [
            (
                "Contrôle de l'installation",
                "Vérifier raccordements, conduit de fumées ou ventouse, évacuation des condensats "
                "et "
                "ventilation du local. Un défaut doit être corrigé avant toute mise en route.",
                [
                    check("Raccordements hydrauliques et électriques vérifiés"),
                    yes_no("Évacuation des condensats raccordée"),
                    photo("Vue d'ensemble de l'installation"),
                ],
            ),
            (
                "Remplissage et purge",
                "Remplir le circuit et purger l'air aux points hauts : l'air résiduel provoque "
                "bruits, "
                "corrosion et mauvaise circulation.",
                [
                    numeric("Pression du circuit", "bar", 1.0, 2.0, (1.2, 1.8)),
                    check("Purge effectuée"),
                ],
            ),
            (
                "Étanchéité",
                "Contrôler l'étanchéité gaz, fluide et eau sous pression avant la première "
                "chauffe.",
                [yes_no("Fuite détectée", typical="no")],
            ),
            (
                "Paramétrage",
                "Régler puissance, courbe de chauffe et régulation selon le bâtiment et la notice "
                ": une "
                "courbe trop haute surconsomme, trop basse laisse les pièces froides.",
                [
                    choice(
                        "Régulation",
                        (
                            "Thermostat d'ambiance",
                            "Sonde extérieure",
                            "Sonde extérieure + thermostat",
                            "GTB",
                        ),
                    ),
                    numeric("Pente de la courbe de chauffe", "", 0.2, 3.5, (0.8, 1.6)),
                ],
            ),
            (
                "Premier démarrage et mesures",
                "Démarrer et relever les valeurs de fonctionnement : elles servent de référence "
                "pour "
                "les entretiens suivants.",
                [
                    numeric("Température de départ", "°C", 30, 80, (40, 65)),
                    meter(HOURS, required=False),
                ],
            ),
            (
                "Prise en main par le client",
                "Expliquer l'utilisation, la programmation et l'entretien obligatoire ; remettre "
                "la "
                "notice et le certificat de mise en service qui déclenche la garantie.",
                [check("Notice et certificat remis"), text("Numéro du certificat de garantie")],
            ),
            (
                "Identification",
                "Photographier la plaque et relever le numéro de série : il identifie l'appareil "
                "pour "
                "les pièces détachées et la garantie.",
                [photo("Plaque signalétique"), text("Numéro de série relevé", required=True)],
            ),
        ],
    ),
    "ENT-PAC": (
        "GAM-ENT-PAC",
        "Entretien pompe à chaleur air/eau et groupe froid",
        "heat_pump",
        "Entretien annuel ; contrôle d'étanchéité selon le règlement F-Gas.",
        [
            (
                "Relevé des compteurs",
                "Les heures, les démarrages et l'énergie produite montrent l'usure du compresseur "
                "et "
                "l'efficacité de la machine d'une année sur l'autre.",
                [meter(HOURS), meter(STARTS), meter(ENERGY, required=False)],
            ),
            (
                "Consignation électrique",
                "Couper au sectionneur et consigner. Attendre 5 minutes la décharge des "
                "condensateurs "
                "de l'inverter avant d'ouvrir le coffret électrique.",
                [check("Appareil consigné")],
            ),
            (
                "Unité extérieure",
                "Nettoyer la batterie à basse pression et dégager les abords : une batterie "
                "encrassée "
                "fait chuter le COP et multiplie les dégivrages.",
                [
                    choice("État de la batterie", ("Propre", "Encrassée", "Ailettes endommagées")),
                    check("Batterie nettoyée"),
                    photo("Unité extérieure"),
                ],
            ),
            (
                "Étanchéité du circuit frigorifique",
                "Contrôler au détecteur électronique. Obligatoire au-delà de 5 t éq. CO2 (F-Gas) ; "
                "seul un opérateur disposant de l'attestation de capacité manipule le fluide.",
                [
                    yes_no("Fuite de fluide détectée", typical="no"),
                    choice("Fluide frigorigène", ("R32", "R410A", "R407C", "R134a")),
                ],
            ),
            (
                "Pressions et surchauffe",
                "Relever haute et basse pression en fonctionnement et les comparer aux données du "
                "constructeur : une surchauffe élevée signale un manque de fluide.",
                [
                    numeric("Haute pression", "bar", 10, 40, (22, 32)),
                    numeric("Basse pression", "bar", 4, 12, (6, 10)),
                    numeric("Surchauffe", "K", 3, 10, (4, 8)),
                ],
            ),
            (
                "Circuit hydraulique",
                "Nettoyer le filtre à tamis du retour : colmaté, il réduit le débit et déclenche "
                "l'alarme de débit ou de haute pression.",
                [PRESSION, check("Filtre à tamis nettoyé")],
            ),
            (
                "Écart de température",
                "Mesurer départ et retour en régime stable : le ΔT nominal est de 5 K ; un écart "
                "trop "
                "grand signale un débit insuffisant.",
                [numeric("Écart départ/retour (ΔT)", "°C", 3, 8, (4, 6.5))],
            ),
            (
                "Condensats et dégivrage",
                "Vérifier l'écoulement des condensats et le cordon chauffant : un bac bouché gèle "
                "en "
                "hiver et bloque le ventilateur.",
                [
                    check("Évacuation des condensats dégagée"),
                    yes_no("Cordon chauffant fonctionnel"),
                ],
            ),
            (
                "Contrôle électrique",
                "Resserrer les borniers de puissance et mesurer l'intensité du compresseur : un "
                "serrage défaillant chauffe et détruit les contacteurs.",
                [
                    numeric("Intensité compresseur", "A", 1, 40, (5, 18)),
                    check("Borniers resserrés"),
                ],
            ),
            CLOTURE,
        ],
    ),
    "CTL-CTA": (
        "GAM-CTL-CTA",
        "Contrôle centrale de traitement d'air et VMC",
        "air_handling_unit",
        "Visite périodique : filtres, entraînement, hygiène et sécurités.",
        [
            (
                "Relevé",
                "Relever le compteur horaire pour planifier le remplacement des roulements.",
                [meter(HOURS)],
            ),
            (
                "Consignation",
                "Arrêter au sectionneur de proximité et attendre l'arrêt complet des ventilateurs "
                "avant "
                "d'ouvrir les portes : risque de happement.",
                [check("Centrale consignée")],
            ),
            (
                "Filtres",
                "Mesurer la perte de charge : au-delà de la valeur finale (250 Pa pour un F7) le "
                "débit "
                "chute et le ventilateur surconsomme. Dater le filtre remplacé sur le caisson.",
                [
                    numeric("Perte de charge du filtre", "Pa", 0, 250, (70, 230)),
                    yes_no("Filtres remplacés"),
                    photo("Filtres déposés"),
                ],
            ),
            (
                "Entraînement et ventilateurs",
                "Contrôler tension et usure des courroies, alignement des poulies et roulements : "
                "une "
                "courroie qui patine réduit le débit et s'use très vite.",
                [
                    choice(
                        "Courroies",
                        ("Bon état", "Usure légère", "À remplacer", "Entraînement direct"),
                    ),
                    check("Roulements contrôlés (bruit, échauffement)"),
                ],
            ),
            (
                "Batteries et bac à condensats",
                "Nettoyer batteries et bac : une eau stagnante favorise les bactéries dans l'air "
                "soufflé. Remplir le siphon pour éviter l'aspiration d'air.",
                [check("Bac nettoyé et siphon rempli")],
            ),
            (
                "Températures et intensité",
                "Relever la température de soufflage et l'intensité du moteur, à comparer aux "
                "visites "
                "précédentes : une dérive annonce un problème de batterie ou de moteur.",
                [
                    numeric("Température de soufflage", "°C", 14, 35, (17, 26)),
                    numeric("Intensité moteur ventilateur", "A", 0.5, 20, (2, 8)),
                ],
            ),
            (
                "Registres et sécurités",
                "Tester registres, thermostat antigel et détection de fumée : l'antigel protège la "
                "batterie eau chaude en hiver.",
                [
                    yes_no("Thermostat antigel fonctionnel"),
                    yes_no("Détecteur de fumée testé", typical="na"),
                ],
            ),
            CLOTURE,
        ],
    ),
    "RAM": (
        "GAM-RAM",
        "Ramonage et contrôle de combustion",
        "boiler",
        "Ramonage obligatoire selon le règlement sanitaire départemental.",
        [
            (
                "Protection des lieux",
                "Protéger le sol et obturer l'appareil : les suies sont grasses et tachent "
                "durablement.",
                [check("Sol protégé et appareil obturé")],
            ),
            (
                "Ramonage du conduit",
                "Ramoner mécaniquement sur toute la hauteur avec un hérisson au bon diamètre : le "
                "ramonage évite les feux de conduit et le refoulement de monoxyde de carbone.",
                [
                    check("Conduit ramoné sur toute sa hauteur"),
                    choice("Suie récupérée", ("Faible", "Moyenne", "Importante")),
                ],
            ),
            (
                "État du conduit",
                "Contrôler la vacuité et l'état du conduit (fissures, bistre). Un conduit dégradé "
                "doit "
                "être signalé : il peut imposer un tubage.",
                [yes_no("Conduit en bon état"), photo("Conduit ou bistre constaté")],
            ),
            (
                "Tirage",
                "Mesurer le tirage chaudière en marche : il garantit l'évacuation des fumées.",
                [numeric("Tirage au conduit", "mbar", -0.3, -0.1, (-0.27, -0.11))],
            ),
            (
                "Combustion",
                "Sur brûleur fioul, l'indice de noircissement ne doit pas dépasser 2 : au-delà, la "
                "combustion encrasse rapidement l'échangeur.",
                [
                    numeric("Indice de noircissement (Bacharach)", "", 0, 2, (0, 1.2)),
                    numeric("Rendement de combustion", "%", 88, None, (88.5, 94.0)),
                ],
            ),
            (
                "Certificat de ramonage",
                "Remettre le certificat de ramonage : l'assureur l'exige en cas de sinistre.",
                [check("Certificat remis"), text("Observations")],
            ),
        ],
    ),
    "ENT-ECS": (
        "GAM-ENT-ECS",
        "Entretien chauffe-eau électrique",
        "water_heater",
        "Détartrage, anode et sécurité du ballon.",
        [
            (
                "Consignation",
                "Couper l'alimentation électrique et fermer l'arrivée d'eau froide avant vidange.",
                [check("Chauffe-eau consigné")],
            ),
            (
                "Vidange et détartrage",
                "Vidanger et retirer le tartre de la résistance : 2 mm de calcaire augmentent la "
                "consommation d'environ 10 %.",
                [
                    choice("Quantité de tartre", ("Faible", "Moyenne", "Importante")),
                    check("Résistance détartrée"),
                ],
            ),
            (
                "Anode",
                "L'anode magnésium se consomme pour protéger la cuve de la corrosion : la "
                "remplacer "
                "quand il reste moins d'un tiers de son diamètre.",
                [
                    numeric("Diamètre restant de l'anode", "mm", 10, 33, (13, 30)),
                    yes_no("Anode remplacée", typical="no"),
                ],
            ),
            (
                "Groupe de sécurité",
                "Manœuvrer le groupe de sécurité, qui protège la cuve au-delà de 7 bar : bloqué, "
                "il "
                "peut laisser la cuve se déformer ou éclater.",
                [
                    yes_no("Groupe de sécurité fonctionnel"),
                    numeric("Pression d'eau froide", "bar", 1.5, 4.0, (2.5, 3.8)),
                ],
            ),
            (
                "Remise en service",
                "Remettre en eau, purger, puis sous tension. L'eau doit atteindre au moins 55 °C "
                "pour "
                "limiter le risque de légionelle, sans dépasser 65 °C (brûlures).",
                [
                    numeric("Température de l'eau chaude", "°C", 55, 65, (55.5, 62)),
                    photo("Chauffe-eau après intervention"),
                ],
            ),
        ],
    ),
}
