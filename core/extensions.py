"""Extensions created here and bound in create_app(), so features can import them freely."""

from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
mail = Mail()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)


def public_limit() -> str:
    """The limit on public write endpoints, from RATELIMIT_PUBLIC."""
    return current_app.config["RATELIMIT_PUBLIC"]
