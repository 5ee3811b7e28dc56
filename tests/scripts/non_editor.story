# Only editors publish.
:as alice
/story new title:"A story"
/story publish
