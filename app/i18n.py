"""All user-facing strings, French by default, English available.

Views get a ``Translator`` for the signed-in user's locale and call ``tr("key", **params)``.
A missing key falls back to French, then to the key itself (and is caught by a test).
"""

from __future__ import annotations

from datetime import date, datetime

from app.errors import TerrainError

DEFAULT_LOCALE = "fr"
LOCALES = ("fr", "en")

CATALOGS: dict[str, dict[str, str]] = {
    "fr": {
        "app.title": "Terrain",
        "signin.title": "Connexion",
        "signin.subtitle": "Interventions terrain, même sans réseau",
        "signin.username": "Identifiant",
        "signin.password": "Mot de passe",
        "signin.submit": "Se connecter",
        "signin.language": "Langue",
        "signin.busy": "Connexion…",
        "nav.my_day": "Ma journée",
        "nav.office_home": "Accueil bureau",
        "nav.sync": "Synchronisation",
        "nav.settings": "Réglages",
        "nav.sign_out": "Se déconnecter",
        "day.title": "Ma journée",
        "day.today": "Aujourd'hui",
        "day.upcoming": "À venir",
        "day.empty_today": "Aucune intervention prévue aujourd'hui.",
        "day.empty_upcoming": "Rien de prévu dans les 7 prochains jours.",
        "day.loading": "Chargement…",
        "day.no_technician": "Ce compte n'est pas un compte technicien.",
        "office.title": "Accueil bureau",
        "office.welcome": "Bonjour {name}",
        "office.placeholder": (
            "Le suivi des interventions, la validation des bons et les devis arrivent ici."
        ),
        "office.stats": "{interventions} interventions, {customers} clients, {technicians} techniciens",
        "settings.title": "Réglages",
        "settings.account": "Compte",
        "settings.signed_in_as": "Connecté en tant que {name}",
        "settings.role": "Rôle : {role}",
        "settings.language": "Langue de l'application",
        "role.technician": "Technicien",
        "role.office": "Bureau",
        "role.admin": "Administrateur",
        "language.fr": "Français",
        "language.en": "English",
        "day.time_range": "{start} – {end}",
        "day.refresh": "Actualiser",
        "office.figure.interventions": "Interventions",
        "office.figure.customers": "Clients",
        "office.figure.technicians": "Techniciens",
        "status.planned": "Planifiée",
        "status.assigned": "Affectée",
        "status.en_route": "En route",
        "status.in_progress": "En cours",
        "status.work_done": "Travaux terminés",
        "status.signed": "Signée",
        "status.submitted": "Transmise",
        "status.validated": "Validée",
        "status.delivered": "Remise au client",
        "status.cancelled": "Annulée",
        "priority.low": "Basse",
        "priority.normal": "Normale",
        "priority.high": "Haute",
        "priority.urgent": "Urgente",
        "error.generic": "Une erreur est survenue.",
        "error.AuthError": "Identifiant inconnu ou mot de passe incorrect.",
        "error.AuthError.hint": "Vérifiez l'identifiant et le mot de passe, puis réessayez.",
        "error.auth.missing": "L'identifiant et le mot de passe sont obligatoires.",
        "error.auth.missing.hint": "Remplissez les deux champs.",
        "error.ValidationError": "Valeur refusée.",
        "error.ValidationError.hint": "Corrigez la valeur puis enregistrez à nouveau.",
        "error.NotFoundError": "Élément introuvable.",
        "error.NotFoundError.hint": "Actualisez la liste : il a peut-être été supprimé ou pas encore synchronisé.",
        "error.PermissionDeniedError": "Accès refusé.",
        "error.PermissionDeniedError.hint": "Demandez l'accès au bureau.",
        "error.SyncError": "La synchronisation a échoué.",
        "error.SyncError.hint": "Votre travail est enregistré sur l'appareil ; nouvel essai au retour du réseau.",
        "error.TerrainError.hint": "Réessayez ; si le problème persiste, contactez le support.",
    },
    "en": {
        "app.title": "Terrain",
        "signin.title": "Sign in",
        "signin.subtitle": "Field interventions, even offline",
        "signin.username": "User name",
        "signin.password": "Password",
        "signin.submit": "Sign in",
        "signin.language": "Language",
        "signin.busy": "Signing in…",
        "nav.my_day": "My day",
        "nav.office_home": "Office home",
        "nav.sync": "Sync",
        "nav.settings": "Settings",
        "nav.sign_out": "Sign out",
        "day.title": "My day",
        "day.today": "Today",
        "day.upcoming": "Upcoming",
        "day.empty_today": "No intervention planned today.",
        "day.empty_upcoming": "Nothing planned in the next 7 days.",
        "day.loading": "Loading…",
        "day.no_technician": "This account is not a technician account.",
        "office.title": "Office home",
        "office.welcome": "Hello {name}",
        "office.placeholder": "Intervention tracking, slip validation and quotes will live here.",
        "office.stats": "{interventions} interventions, {customers} customers, {technicians} technicians",
        "settings.title": "Settings",
        "settings.account": "Account",
        "settings.signed_in_as": "Signed in as {name}",
        "settings.role": "Role: {role}",
        "settings.language": "App language",
        "role.technician": "Technician",
        "role.office": "Office",
        "role.admin": "Administrator",
        "language.fr": "Français",
        "language.en": "English",
        "day.time_range": "{start} – {end}",
        "day.refresh": "Refresh",
        "office.figure.interventions": "Interventions",
        "office.figure.customers": "Customers",
        "office.figure.technicians": "Technicians",
        "status.planned": "Planned",
        "status.assigned": "Assigned",
        "status.en_route": "On the way",
        "status.in_progress": "In progress",
        "status.work_done": "Work done",
        "status.signed": "Signed",
        "status.submitted": "Submitted",
        "status.validated": "Validated",
        "status.delivered": "Delivered",
        "status.cancelled": "Cancelled",
        "priority.low": "Low",
        "priority.normal": "Normal",
        "priority.high": "High",
        "priority.urgent": "Urgent",
        "error.generic": "Something went wrong.",
        "error.AuthError": "Unknown user name or wrong password.",
        "error.AuthError.hint": "Check the user name and password, then try again.",
        "error.auth.missing": "User name and password are required.",
        "error.auth.missing.hint": "Fill in both fields.",
        "error.ValidationError": "Value refused.",
        "error.ValidationError.hint": "Correct the value and save again.",
        "error.NotFoundError": "Not found.",
        "error.NotFoundError.hint": "Refresh the list; it may have been removed or not synced yet.",
        "error.PermissionDeniedError": "Access denied.",
        "error.PermissionDeniedError.hint": "Ask the office for access.",
        "error.SyncError": "Sync failed.",
        "error.SyncError.hint": "Your work is saved on this device; sync retries when the network is back.",
        "error.TerrainError.hint": "Try again; if the problem persists, contact support.",
    },
}

_WEEKDAYS = {
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}
_MONTHS = {
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}


class Translator:
    def __init__(self, locale: str = DEFAULT_LOCALE) -> None:
        self.locale = locale if locale in CATALOGS else DEFAULT_LOCALE

    def __call__(self, key: str, **params: object) -> str:
        text = CATALOGS[self.locale].get(key) or CATALOGS[DEFAULT_LOCALE].get(key) or key
        return text.format(**params) if params else text

    def has(self, key: str) -> bool:
        return key in CATALOGS[self.locale]

    def error(self, err: BaseException) -> str:
        """The user-facing text of ``err``: what happened, then what to do next."""
        if not isinstance(err, TerrainError):
            return self("error.generic") + "\n" + self("error.TerrainError.hint")
        for key in (err.key, f"error.{type(err).__name__}"):
            if key and self.has(key):
                hint_key = f"{key}.hint"
                hint = self(hint_key) if self.has(hint_key) else self._class_hint(err)
                return self(key, **err.params) + "\n" + hint
        return f"{err.message}\n{err.hint}"

    def _class_hint(self, err: TerrainError) -> str:
        for cls in type(err).__mro__:
            key = f"error.{cls.__name__}.hint"
            if self.has(key):
                return self(key)
        return err.hint

    def long_date(self, value: date) -> str:
        wd, month = _WEEKDAYS[self.locale][value.weekday()], _MONTHS[self.locale][value.month - 1]
        if self.locale == "fr":
            return f"{wd} {value.day} {month} {value.year}"
        return f"{wd}, {month} {value.day}, {value.year}"

    def time(self, value: datetime) -> str:
        return value.strftime("%H:%M")
