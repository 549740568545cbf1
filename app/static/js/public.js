// Public complaint form: an anonymous complaint sends no contact details. The server's rules
// decide either way; this only hides (and stops sending) the fields that no longer apply.
document.addEventListener("DOMContentLoaded", () => {
  const anonymous = document.getElementById("anonymous");
  const contact = document.getElementById("contact-details");
  if (!anonymous || !contact) return;
  const sync = () => {
    contact.disabled = anonymous.checked;
    contact.hidden = anonymous.checked;
  };
  anonymous.addEventListener("change", sync);
  sync();
});
