"""Flask extensions, unbound; create_app binds them. The database handle lives in services.db."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrate()
# Public forms are rate-limited per client address; storage comes from RATELIMIT_STORAGE_URI.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
