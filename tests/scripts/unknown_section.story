# Mistyped names get a suggestion.
:as alice
/story new title:"A story"
/story claim bdy
/story write conclsion <<END
Text.
END
/story aprove body
