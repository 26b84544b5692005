"""One Mastodon instance with every default, in Python (the twin of examples/basic).

`pulumi_mastodon` is the SDK `pulumi package add ../../provider` generates in sdks/mastodon.
"""
import pulumi
import pulumi_mastodon as mastodon

config = pulumi.Config()
social = mastodon.MastodonCluster("social", domain=config.get("domain") or "social.example")

pulumi.export("url", social.url)
pulumi.export("namespace", social.namespace)
pulumi.export("webServiceName", social.web_service_name)
pulumi.export("streamingServiceName", social.streaming_service_name)
pulumi.export("tlsSecretName", social.tls_secret_name)
pulumi.export("caCertificate", social.ca_certificate)
pulumi.export("version", social.version)
pulumi.export("adminCommand", social.admin_command)
pulumi.export("adminPassword", social.admin_password)
pulumi.export("restoreCommand", social.restore_command)
pulumi.export("secretsExport", social.secrets_export)
