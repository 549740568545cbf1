"""Staff sign-in form."""

from forms.auth import LoginForm


def test_sign_in_needs_user_name_and_password(post):
    posted = post(LoginForm, {"username": " ", "password": ""})
    assert posted.errors == {
        "username": ["Enter your user name."],
        "password": ["Enter your password."],
    }


def test_user_name_is_stripped_but_the_password_is_not(post):
    posted = post(LoginForm, {"username": " agent ", "password": " secret "})
    assert posted.valid
    assert posted.form.username.data == "agent"
    assert posted.form.password.data == " secret "
